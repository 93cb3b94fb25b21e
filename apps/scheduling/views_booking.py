"""Booking a reader: open slots in the viewer's time zone, the confirm page, and the booked page."""

import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from apps.core.exceptions import DomainError
from apps.wallet.selectors import wallet_balance

from .constants import CANCELLATION_POLICY
from .forms import BookingConfirmForm, ConfirmQueryForm, SlotsQueryForm, instant_param
from .selectors_slots import (
    Bookable,
    bookable_reader_get,
    booking_party_get,
    policy_sentences,
    slot_is_open,
    slot_page,
)
from .services.booking import booking_create, price_for

PROFILE_PANEL_SLOTS = 6


def _viewer_timezone(request: HttpRequest) -> str:
    return request.user.timezone if request.user.is_authenticated and request.user.timezone else "UTC"


def _slots_context(request: HttpRequest, bookable: Bookable) -> dict[str, Any]:
    viewer_timezone = _viewer_timezone(request)
    today = timezone.now().astimezone(ZoneInfo(viewer_timezone)).date()
    form = SlotsQueryForm(request.GET)
    duration, first_day, day_count = form.values(offered=bookable.durations, today=today)
    page = slot_page(
        bookable=bookable,
        viewer_timezone=viewer_timezone,
        duration=duration,
        first_day=first_day,
        day_count=day_count,
    )
    return {"bookable": bookable, "reader": bookable.profile, "page": page, "form": form}


@require_GET
def book(request: HttpRequest, reader_user_id: int) -> HttpResponse:
    bookable = bookable_reader_get(reader_user_id=reader_user_id)
    return render(request, "scheduling/book.html", _slots_context(request, bookable))


@require_GET
def book_slots(request: HttpRequest, reader_user_id: int) -> HttpResponse:
    """The slots partial: HTMX day/week navigation and the duration filter."""
    bookable = bookable_reader_get(reader_user_id=reader_user_id)
    return render(request, "scheduling/partials/_book_slots.html", _slots_context(request, bookable))


@require_GET
def profile_panel(request: HttpRequest, reader_user_id: int) -> HttpResponse:
    """For the reader's public profile: a "Book" button and the next open times, when they take bookings."""
    bookable = bookable_reader_get(reader_user_id=reader_user_id)
    context: dict[str, Any] = {"bookable": bookable, "reader": bookable.profile, "next_slots": []}
    if not bookable.refusal:
        viewer_timezone = _viewer_timezone(request)
        page = slot_page(
            bookable=bookable,
            viewer_timezone=viewer_timezone,
            duration=bookable.durations[0],
            first_day=timezone.now().astimezone(ZoneInfo(viewer_timezone)).date(),
            day_count=14,
        )
        context["next_slots"] = [slot for day in page.days for slot in day.slots][:PROFILE_PANEL_SLOTS]
        context["page"] = page
    return render(request, "scheduling/partials/_profile_panel.html", context)


def _confirm_context(
    request: HttpRequest, bookable: Bookable, starts_at: datetime, duration: int, form: BookingConfirmForm
) -> dict[str, Any]:
    assert bookable.rate_amount is not None and bookable.schedule is not None
    price = price_for(rate_amount=bookable.rate_amount, duration_minutes=duration)
    balance = wallet_balance(user=request.user)
    return {
        "bookable": bookable,
        "reader": bookable.profile,
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(minutes=duration),
        "duration": duration,
        "price": price,
        "balance": balance,
        "short_amount": price - balance if balance < price else None,
        "policy": policy_sentences(CANCELLATION_POLICY),
        "client_timezone": _viewer_timezone(request),
        "reader_timezone": bookable.schedule.timezone,
        "is_open": slot_is_open(schedule=bookable.schedule, starts_at=starts_at, duration_minutes=duration),
        "start_param": instant_param(starts_at),
        "form": form,
    }


@login_required
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, reader_user_id: int) -> HttpResponse:
    """GET: the terms of one slot, with a fresh idempotency key in the form. POST: book it."""
    bookable = bookable_reader_get(reader_user_id=reader_user_id)
    if bookable.refusal:
        return render(request, "scheduling/book.html", _slots_context(request, bookable), status=409)
    if request.method == "POST":
        return _confirm_post(request, bookable)
    query = ConfirmQueryForm(request.GET)
    if not query.is_valid():
        return redirect("scheduling:book", reader_user_id=reader_user_id)
    starts_at, duration = query.cleaned_data["start"], query.cleaned_data["duration"]
    initial = {"start": starts_at, "duration": duration, "idempotency_key": uuid.uuid4().hex}
    form = BookingConfirmForm(initial=initial, modalities=bookable.modalities)
    context = _confirm_context(request, bookable, starts_at, duration, form)
    return render(request, "scheduling/book_confirm.html", context)


def _confirm_post(request: HttpRequest, bookable: Bookable) -> HttpResponse:
    form = BookingConfirmForm(request.POST, modalities=bookable.modalities)
    if not form.is_valid() and {"start", "duration", "idempotency_key"} & set(form.errors):
        return redirect("scheduling:book", reader_user_id=bookable.profile.user_id)
    data = form.cleaned_data
    context = _confirm_context(request, bookable, data["start"], data["duration"], form)
    if not form.is_valid():
        return render(request, "scheduling/book_confirm.html", context, status=400)
    try:
        booking = booking_create(
            client=request.user,
            reader_id=bookable.profile.user_id,
            starts_at=data["start"],
            duration_minutes=data["duration"],
            modality=data["modality"],
            idempotency_key=data["idempotency_key"],
            intake_note=data["intake_note"],
            request=request,
        )
    except DomainError as error:
        return render(request, "scheduling/book_confirm.html", {**context, "error": error}, status=error.status_code)
    return redirect("scheduling:booked", booking_id=booking.pk)


@login_required
@require_GET
def booked(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = booking_party_get(viewer=request.user, booking_id=booking_id)
    context = {
        "booking": booking,
        "is_client": booking.client_id == request.user.pk,
        "viewer_timezone": _viewer_timezone(request),
        "policy": policy_sentences(booking.policy),
    }
    return render(request, "scheduling/booked.html", context)
