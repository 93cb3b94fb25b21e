"""Reads of the booked reading's attendance: the join page and panel, and the readers' no-show record.
Permission scoping happens here: anyone but the booking's two parties gets ``BookingNotFound`` (404)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from .constants import NO_SHOW_AFTER_MINUTES
from .enums import ACTIVE_BOOKING_STATUSES, BookingStatus, NoShowParty
from .models import Booking
from .services.attendance import BookingNotFound, join_closes_at, join_opens_at, join_refusal, party_role

# Missed bookings that count on the reader's record: theirs, or nobody came (treated as the reader's).
READER_NO_SHOW_PARTIES = (NoShowParty.READER, NoShowParty.BOTH)


def booking_get_for_party(*, viewer: Any, booking_id: int) -> Booking:
    """The booking if ``viewer`` is its client or reader (both users joined), else ``BookingNotFound``."""
    if not getattr(viewer, "is_authenticated", False):
        raise BookingNotFound()
    booking = (
        Booking.objects.select_related("client", "reader", "reader__reader_profile")
        .filter(Q(client_id=viewer.pk) | Q(reader_id=viewer.pk), pk=booking_id)
        .first()
    )
    if booking is None:
        raise BookingNotFound()
    return booking


@dataclass(frozen=True)
class JoinState:
    """What the join panel shows to one party of a booking."""

    booking: Booking
    role: str  # "client" or "reader"
    other_name: str
    can_join: bool
    is_over: bool
    opens_at: datetime
    closes_at: datetime
    refusal: str | None
    reading_id: int | None
    not_yet_open: bool
    no_show_minutes: int = NO_SHOW_AFTER_MINUTES


def booking_join_state(*, viewer: Any, booking_id: int, now: datetime | None = None) -> JoinState:
    """When ``viewer`` can join their booked reading, and whether they can now (``BookingNotFound`` for others)."""
    now = now or timezone.now()
    booking = booking_get_for_party(viewer=viewer, booking_id=booking_id)
    role = party_role(booking, viewer) or "client"
    refusal = join_refusal(booking, role=role, now=now)
    if role == "client":
        profile = getattr(booking.reader, "reader_profile", None)
        other = getattr(profile, "display_name", "") or booking.reader.public_name
    else:
        other = booking.client.public_name
    return JoinState(
        booking=booking,
        role=role,
        other_name=other,
        can_join=refusal is None,
        is_over=booking.status not in ACTIVE_BOOKING_STATUSES or now >= booking.ends_at,
        opens_at=join_opens_at(booking),
        closes_at=join_closes_at(booking, role=role),
        refusal=refusal,
        reading_id=booking.reading_id,
        not_yet_open=now < join_opens_at(booking),
    )


def reader_no_shows(*, reader_id: int) -> QuerySet[Booking]:
    """The missed bookings counted on a reader's record (for the admins), newest first."""
    return Booking.objects.filter(
        reader_id=reader_id, status=BookingStatus.NO_SHOW, no_show_party__in=READER_NO_SHOW_PARTIES
    ).order_by("-starts_at")
