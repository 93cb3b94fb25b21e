"""The parties' booking pages: a client's bookings, a reader's bookings and booking earnings, one booking's page,
cancelling (with the exact refund shown before confirming) and moving a booking to another open time.

Every booking view goes through ``selectors_manage.booking_get_for_party``: anyone but the two parties gets 404.
Times are shown in the viewer's own timezone (``User.timezone``), with the other side's beside them.
"""

import zoneinfo
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from apps.core.errors import domain_errors_redirect
from apps.core.exceptions import NotFound
from apps.core.permissions import reader_required
from apps.core.ratelimit import rate_limited

from . import selectors_manage as selectors
from .enums import BookingStatus, CancelledBy
from .forms_manage import ClientCancelForm, ReaderCancelForm, RescheduleDayForm, RescheduleForm
from .models import Booking
from .services.cancellation import (
    booking_cancel_by_client,
    booking_cancel_by_reader,
    booking_refund_quote,
    booking_reschedule,
    booking_reschedule_options,
    booking_reschedule_refusal,
)

PAGE_SIZE = 20
PANEL_SIZE = 5


def _page(request: HttpRequest, items: Any, param: str) -> Any:
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get(param))


def _side(request: HttpRequest, booking: Booking) -> Any:
    return CancelledBy.CLIENT if booking.client_id == request.user.pk else CancelledBy.READER


def _booking_context(request: HttpRequest, booking: Booking) -> dict[str, Any]:
    side = _side(request, booking)
    now = timezone.now()
    can_cancel = booking.status == BookingStatus.CONFIRMED and now < booking.starts_at
    return {
        "booking": booking,
        "is_client": side == CancelledBy.CLIENT,
        "viewer_zone": request.user.timezone,
        "other_zone": booking.reader_timezone if side == CancelledBy.CLIENT else booking.client_timezone,
        "can_cancel": can_cancel,
        "quote": booking_refund_quote(booking=booking, by=side, at=now) if can_cancel else None,
        "reschedule_refusal": booking_reschedule_refusal(booking=booking, at=now) if side == CancelledBy.CLIENT else "",
    }


@login_required
@require_GET
def client_list(request: HttpRequest) -> HttpResponse:
    """A client's bookings: upcoming (soonest first) and past (latest first), each paginated."""
    context = {
        "upcoming": _page(request, selectors.booking_client_upcoming(viewer=request.user), "page"),
        "past": _page(request, selectors.booking_client_past(viewer=request.user), "past"),
        "viewer_zone": request.user.timezone,
    }
    return render(request, "scheduling/manage/client_list.html", context)


@reader_required
@require_GET
def reader_list(request: HttpRequest) -> HttpResponse:
    """A reader's bookings: upcoming, booking earnings, and the statement of bookings that paid them."""
    context = {
        "upcoming": _page(request, selectors.booking_reader_upcoming(viewer=request.user), "page"),
        "earnings": selectors.booking_reader_earnings(viewer=request.user),
        "paid": _page(request, selectors.booking_reader_paid(viewer=request.user), "paid"),
        "viewer_zone": request.user.timezone,
    }
    return render(request, "scheduling/manage/reader_list.html", context)


@login_required
@require_GET
def client_panel(request: HttpRequest) -> HttpResponse:
    """Dashboard: the client's next few bookings."""
    upcoming = selectors.booking_client_upcoming(viewer=request.user)
    context = {"bookings": list(upcoming[:PANEL_SIZE]), "viewer_zone": request.user.timezone}
    return render(request, "scheduling/manage/_client_panel.html", context)


@reader_required
@require_GET
def reader_panel(request: HttpRequest) -> HttpResponse:
    """Reader dashboard: the next few bookings and what bookings earned."""
    context = {
        "bookings": list(selectors.booking_reader_upcoming(viewer=request.user)[:PANEL_SIZE]),
        "earnings": selectors.booking_reader_earnings(viewer=request.user),
        "viewer_zone": request.user.timezone,
    }
    return render(request, "scheduling/manage/_reader_panel.html", context)


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    booking = selectors.booking_get_for_party(viewer=request.user, booking_id=pk)
    return render(request, "scheduling/manage/detail.html", _booking_context(request, booking))


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors_redirect("scheduling_manage:detail", "pk")
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the exact refund of cancelling now, and the confirm button. POST: cancel (client or reader)."""
    booking = selectors.booking_get_for_party(viewer=request.user, booking_id=pk)
    context = _booking_context(request, booking)
    is_client = context["is_client"]
    form_class = ClientCancelForm if is_client else ReaderCancelForm
    if request.method == "GET":
        initial = {"expected_refund": context["quote"].refund_amount} if context["quote"] else {}
        context["form"] = form_class(initial=initial)
        return render(request, "scheduling/manage/cancel.html", context)
    form = form_class(request.POST)
    if not form.is_valid():
        context["form"] = form
        return render(request, "scheduling/manage/cancel.html", context, status=400)
    if is_client:
        booking = booking_cancel_by_client(
            client=request.user, booking_id=pk, expected_refund=form.cleaned_data["expected_refund"]
        )
        messages.success(request, f"Your booking is cancelled. ${booking.refund_amount:.2f} is back in your wallet.")
    else:
        booking = booking_cancel_by_reader(reader=request.user, booking_id=pk, reason=form.cleaned_data["reason"])
        messages.success(request, f"The booking is cancelled. The client got ${booking.refund_amount:.2f} back.")
    return redirect("scheduling_manage:detail", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
@rate_limited("scheduling.reschedule", what="reschedules")
@domain_errors_redirect("scheduling_manage:reschedule", "pk")
def reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the open times of a day (the viewer's zone). POST: move the booking to the time picked."""
    booking = selectors.booking_get_for_party(viewer=request.user, booking_id=pk)
    if booking.client_id != request.user.pk:
        raise NotFound("No such booking.")  # only the client moves a booking
    if request.method == "POST":
        form = RescheduleForm(request.POST)
        if form.is_valid():
            booking_reschedule(client=request.user, booking_id=pk, starts_at=form.cleaned_data["starts_at"])
            messages.success(request, "Your booking is moved. The reader has been told.")
            return redirect("scheduling_manage:detail", pk=pk)
        messages.error(request, "Pick one of the times offered.")
        return redirect("scheduling_manage:reschedule", pk=pk)
    zone = request.user.timezone
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(zone)).date()
    day_form = RescheduleDayForm(request.GET or {"day": today + timedelta(days=2)})
    day = day_form.cleaned_data["day"] if day_form.is_valid() else None
    context = _booking_context(request, booking)
    context["day_form"] = day_form
    context["day"] = day
    context["options"] = booking_reschedule_options(booking=booking, day=day, zone=zone) if day else []
    return render(request, "scheduling/manage/reschedule.html", context)
