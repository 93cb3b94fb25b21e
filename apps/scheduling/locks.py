"""Locks of scheduled readings. Lock order: the reader's schedule row, then the booking row, then ledger accounts."""

from .models import Booking, ReaderSchedule


def schedule_then_booking_lock(*, booking_id: int) -> tuple[ReaderSchedule | None, Booking]:
    """Lock the reader's schedule, then the booking, and return both (the booking re-read under its lock).

    The reader is read first without a lock (a booking never changes reader), so the schedule row is taken
    before the booking row, the order every scheduling write uses. A reader without a schedule row has nothing
    to lock there. Raises ``Booking.DoesNotExist``. The caller holds the transaction.
    """
    reader_id = Booking.objects.values_list("reader_id", flat=True).get(pk=booking_id)
    schedule = ReaderSchedule.objects.select_for_update(of=("self",)).filter(reader_id=reader_id).order_by("pk").first()
    booking = Booking.objects.select_for_update(of=("self",)).select_related("client", "reader").get(pk=booking_id)
    return schedule, booking
