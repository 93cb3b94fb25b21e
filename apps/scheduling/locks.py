"""Row locks of scheduled readings. Callers hold the transaction.

Fixed order: a reader's ``ReaderSchedule`` first, then a booking. Everything that changes a reader's
availability or bookings locks the schedule row, so two changes of one reader's time run one after the other.
A reading of the readings app is never locked while holding them (its finalization locks the reading first).
"""

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


def attendance_booking_lock(*, booking_id: int, skip_locked: bool = False) -> Booking | None:
    """Lock the reader's schedule row (when the reader has one), then the booking, and return the booking; None
    when there is no such booking, or with ``skip_locked`` when another transaction holds either row right now
    (periodic jobs running on several workers move on and come back next time)."""
    reader_id = Booking.objects.filter(pk=booking_id).values_list("reader_id", flat=True).first()
    if reader_id is None:
        return None
    schedules = ReaderSchedule.objects.filter(reader_id=reader_id)
    if schedules.exists():
        locked = list(schedules.select_for_update(of=("self",), skip_locked=skip_locked).order_by("pk"))
        if not locked:
            return None
    return Booking.objects.select_for_update(of=("self",), skip_locked=skip_locked).filter(pk=booking_id).first()


def schedule_lock(reader_id: int) -> ReaderSchedule:
    """Lock and return the reader's schedule (``ReaderSchedule.DoesNotExist`` when they have none yet)."""
    return ReaderSchedule.objects.select_for_update(of=("self",)).get(reader_id=reader_id)


def booking_lock(booking_id: int) -> Booking:
    """Lock and return a booking (``Booking.DoesNotExist`` when there is none). Lock the schedule first."""
    return Booking.objects.select_for_update(of=("self",)).get(pk=booking_id)
