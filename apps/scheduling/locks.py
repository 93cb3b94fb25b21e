"""Row locks of scheduled readings. Fixed order: the reader's ``ReaderSchedule`` row, then the booking; a reading
of the readings app is never locked while holding them (its finalization locks the reading first, then these).
The caller holds the transaction."""

from .models import Booking, ReaderSchedule


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
