"""Reads of booked readings for their two parties and for admins. Permission scoping happens here: a booking
is shown only to its client and its reader (anyone else gets ``NotFound``), and the admin lists only to staff."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from apps.core.exceptions import NotFound

from .enums import ACTIVE_BOOKING_STATUSES, NoShowParty
from .models import Booking

ACTIVE = sorted(ACTIVE_BOOKING_STATUSES)
READER_NO_SHOW = (NoShowParty.READER, NoShowParty.BOTH)


def _with_parties(queryset: QuerySet[Booking]) -> QuerySet[Booking]:
    return queryset.select_related("client", "reader", "reader__reader_profile")


def _upcoming(queryset: QuerySet[Booking], now: datetime) -> QuerySet[Booking]:
    """Bookings that still hold time: confirmed or in progress, not yet over. Soonest first."""
    return queryset.filter(status__in=ACTIVE, ends_at__gt=now).order_by("starts_at", "pk")


def _past(queryset: QuerySet[Booking], now: datetime) -> QuerySet[Booking]:
    """Everything else: finished, or a booked time already over. Latest first."""
    return queryset.exclude(status__in=ACTIVE, ends_at__gt=now).order_by("-starts_at", "-pk")


def booking_client_upcoming(*, viewer: Any, now: datetime | None = None) -> QuerySet[Booking]:
    return _upcoming(_with_parties(Booking.objects.filter(client=viewer)), now or timezone.now())


def booking_client_past(*, viewer: Any, now: datetime | None = None) -> QuerySet[Booking]:
    return _past(_with_parties(Booking.objects.filter(client=viewer)), now or timezone.now())


def booking_reader_upcoming(*, viewer: Any, now: datetime | None = None) -> QuerySet[Booking]:
    return _upcoming(_with_parties(Booking.objects.filter(reader=viewer)), now or timezone.now())


def booking_reader_past(*, viewer: Any, now: datetime | None = None) -> QuerySet[Booking]:
    return _past(_with_parties(Booking.objects.filter(reader=viewer)), now or timezone.now())


def booking_get_for_party(*, viewer: Any, booking_id: int) -> Booking:
    """The booking if ``viewer`` is its client or its reader; anyone else (admins included) gets NotFound."""
    booking = (
        _with_parties(Booking.objects.filter(pk=booking_id))
        .filter(Q(client_id=viewer.pk) | Q(reader_id=viewer.pk))
        .first()
    )
    if booking is None:
        raise NotFound("No such booking.")
    return booking


@dataclass(frozen=True)
class BookingEarnings:
    """What a reader earned from bookings: their share of completed readings, late cancellations and client
    no-shows (every finished booking with a reader share), and what upcoming bookings hold."""

    earned_amount: Decimal
    paid_bookings: int
    upcoming_amount: Decimal
    upcoming_bookings: int


def booking_reader_earnings(*, viewer: Any, now: datetime | None = None) -> BookingEarnings:
    """One query whatever the number of bookings."""
    now = now or timezone.now()
    totals = Booking.objects.filter(reader=viewer).aggregate(
        earned=Sum("reader_share_amount", filter=Q(reader_share_amount__gt=0)),
        paid=Count("pk", filter=Q(reader_share_amount__gt=0)),
        upcoming=Sum("price_amount", filter=Q(status__in=ACTIVE, ends_at__gt=now)),
        upcoming_count=Count("pk", filter=Q(status__in=ACTIVE, ends_at__gt=now)),
    )
    return BookingEarnings(
        earned_amount=totals["earned"] or Decimal("0.00"),
        paid_bookings=totals["paid"],
        upcoming_amount=totals["upcoming"] or Decimal("0.00"),
        upcoming_bookings=totals["upcoming_count"],
    )


def booking_reader_paid(*, viewer: Any) -> QuerySet[Booking]:
    """The reader's bookings that paid them something, latest first (the earnings statement)."""
    return _with_parties(Booking.objects.filter(reader=viewer, reader_share_amount__gt=0)).order_by(
        "-finished_at", "-pk"
    )


# --- Admin ----------------------------------------------------------------------------------------------------


def _staff_only(viewer: Any) -> None:
    if not getattr(viewer, "is_staff", False):
        raise NotFound()


def booking_staff_list(
    *,
    viewer: Any,
    status: str = "",
    reader: str = "",
    reader_id: int | None = None,
    client_email: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
    zone: Any = None,
) -> QuerySet[Booking]:
    """Every booking, latest start first, narrowed by the filters (``reader``: part of the reader's email or
    name). Dates are whole days in ``zone`` (the admin's timezone); ``date_to`` is included."""
    _staff_only(viewer)
    zone = zone or timezone.get_current_timezone()
    bookings = _with_parties(Booking.objects.all())
    if status:
        bookings = bookings.filter(status=status)
    if reader_id:
        bookings = bookings.filter(reader_id=reader_id)
    if reader.strip():
        wanted = reader.strip()
        bookings = bookings.filter(
            Q(reader__email__icontains=wanted) | Q(reader__reader_profile__display_name__icontains=wanted)
        )
    if client_email:
        bookings = bookings.filter(client__email__icontains=client_email.strip())
    if date_from:
        bookings = bookings.filter(starts_at__gte=datetime.combine(date_from, time.min, tzinfo=zone))
    if date_to:
        bookings = bookings.filter(starts_at__lt=datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=zone))
    return bookings.order_by("-starts_at", "-pk")


def booking_staff_get(*, viewer: Any, booking_id: int) -> Booking:
    _staff_only(viewer)
    booking = _with_parties(Booking.objects.filter(pk=booking_id)).first()
    if booking is None:
        raise NotFound("No such booking.")
    return booking


def reader_no_show_counts(*, viewer: Any) -> QuerySet[Any]:
    """Per reader with bookings: how many they missed (no-show of the reader, or of both sides) and how many were
    booked, most missed first. Rows are dicts: reader_id, reader__email, reader__reader_profile__display_name,
    missed, booked. One query."""
    _staff_only(viewer)
    return (
        Booking.objects.values("reader_id", "reader__email", "reader__reader_profile__display_name")
        .annotate(
            missed=Count("pk", filter=Q(no_show_party__in=READER_NO_SHOW)),
            booked=Count("pk"),
        )
        .order_by("-missed", "reader__email")
    )


def reader_no_show_count(*, viewer: Any, reader_id: int) -> int:
    _staff_only(viewer)
    return Booking.objects.filter(reader_id=reader_id, no_show_party__in=READER_NO_SHOW).count()


@dataclass(frozen=True)
class BookingStaffSummary:
    upcoming: int
    cancelled_recently: int
    reader_no_shows_recently: int


def booking_staff_summary(*, viewer: Any, now: datetime | None = None, days: int = 30) -> BookingStaffSummary:
    """For the admin dashboard, in one query: bookings still to come, and cancellations and readers' missed
    readings of the last ``days`` days (by booked time)."""
    _staff_only(viewer)
    now = now or timezone.now()
    since = now - timedelta(days=days)
    totals = Booking.objects.aggregate(
        upcoming=Count("pk", filter=Q(status__in=ACTIVE, ends_at__gt=now)),
        cancelled=Count("pk", filter=Q(status="cancelled", cancelled_at__gte=since)),
        missed=Count("pk", filter=Q(no_show_party__in=READER_NO_SHOW, starts_at__gte=since)),
    )
    return BookingStaffSummary(totals["upcoming"], totals["cancelled"], totals["missed"])
