"""Admin pages of scheduled readings: every booking with filters, one booking with "cancel with a full refund"
(a reason, then a confirmation step; audited), and each reader's missed readings."""

import zoneinfo

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from apps.core.errors import domain_errors_redirect
from apps.core.permissions import staff_required

from . import selectors_manage as selectors
from .enums import ACTIVE_BOOKING_STATUSES
from .forms_manage import StaffBookingFilterForm, StaffCancelForm
from .services.cancellation import booking_cancel_by_admin

PAGE_SIZE = 50


@staff_required
@require_GET
def booking_list(request: HttpRequest) -> HttpResponse:
    form = StaffBookingFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    bookings = selectors.booking_staff_list(
        viewer=request.user,
        status=filters.get("status") or "",
        reader=filters.get("reader") or "",
        reader_id=filters.get("reader_id"),
        client_email=filters.get("client_email") or "",
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
        zone=zoneinfo.ZoneInfo(request.user.timezone),
    )
    page = Paginator(bookings, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "viewer_zone": request.user.timezone}
    return render(request, "scheduling/staff/booking_list.html", context)


@staff_required
@require_GET
def no_shows(request: HttpRequest) -> HttpResponse:
    """Readers with bookings and how many of them they missed, most missed first."""
    rows = selectors.reader_no_show_counts(viewer=request.user)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "scheduling/staff/no_shows.html", {"page": page})


def _detail_context(request: HttpRequest, pk: int) -> dict:
    booking = selectors.booking_staff_get(viewer=request.user, booking_id=pk)
    return {
        "booking": booking,
        "viewer_zone": request.user.timezone,
        "reader_no_shows": selectors.reader_no_show_count(viewer=request.user, reader_id=booking.reader_id),
        "can_cancel": booking.status in ACTIVE_BOOKING_STATUSES,
        "audit_target": f"scheduling.booking:{booking.pk}",
    }


@staff_required
@require_GET
def booking_detail(request: HttpRequest, pk: int) -> HttpResponse:
    context = _detail_context(request, pk)
    context["form"] = StaffCancelForm()
    return render(request, "scheduling/staff/booking_detail.html", context)


@staff_required
@require_http_methods(["GET", "POST"])
@domain_errors_redirect("staff_scheduling:booking_detail", "pk")
def booking_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the reason form. POST: check it and show the confirmation; POST with ``confirm``: cancel and refund."""
    context = _detail_context(request, pk)
    form = StaffCancelForm(request.POST or None)
    context["form"] = form
    if request.method == "GET" or not form.is_valid():
        status = 400 if request.method == "POST" else 200
        return render(request, "scheduling/staff/booking_cancel.html", context, status=status)
    if request.POST.get("confirm") != "1":
        return render(request, "scheduling/staff/booking_cancel_confirm.html", context)
    booking = booking_cancel_by_admin(
        admin=request.user, booking_id=pk, reason=form.cleaned_data["reason"], at=timezone.now()
    )
    messages.success(request, f"Booking #{pk} is cancelled; ${booking.refund_amount:.2f} went back to the client.")
    return redirect("staff_scheduling:booking_detail", pk=pk)
