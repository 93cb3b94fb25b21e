"""Row locks of scheduled readings. Callers hold the transaction.

Fixed order: a reader's ``ReaderSchedule`` first, then a booking. Everything that changes a reader's
availability or bookings locks the schedule row, so two changes of one reader's time run one after the other.
"""

from .models import Booking, ReaderSchedule


def schedule_lock(reader_id: int) -> ReaderSchedule:
    """Lock and return the reader's schedule (``ReaderSchedule.DoesNotExist`` when they have none yet)."""
    return ReaderSchedule.objects.select_for_update(of=("self",)).get(reader_id=reader_id)


def booking_lock(booking_id: int) -> Booking:
    """Lock and return a booking (``Booking.DoesNotExist`` when there is none). Lock the schedule first."""
    return Booking.objects.select_for_update(of=("self",)).get(pk=booking_id)
