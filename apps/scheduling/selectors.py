"""Reads of scheduled readings. Permission scoping happens here."""

from django.db.models import QuerySet

from .enums import FINISHED_BOOKING_STATUSES
from .models import Booking


def finished_bookings() -> QuerySet[Booking]:
    """Bookings whose hold must be exactly zero: completed, cancelled or missed (ledger check)."""
    return Booking.objects.filter(status__in=sorted(FINISHED_BOOKING_STATUSES))
