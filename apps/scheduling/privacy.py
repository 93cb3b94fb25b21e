"""Personal data of scheduled readings: bookings made or received, a reader's availability and time blocks (see
``apps/core/privacy.py``). Deletion waits while a booking is upcoming or in progress (its price is held); the
finished bookings stay for the ledger without the deleted user's notes."""

from typing import Any

from django.db.models import Q

from apps.core.privacy import PersonalData, personal_data_register
from apps.notifications.services import notification_texts_remove

from .enums import ACTIVE_BOOKING_STATUSES, CancelledBy
from .models import Booking, DateException, ReaderSchedule, TimeBlock, WeeklyWindow

BOOKING_FIELDS = (
    "id",
    "client_id",
    "modality",
    "duration_minutes",
    "starts_at",
    "ends_at",
    "status",
    "rate_amount",
    "price_amount",
    "client_timezone",
    "reader_timezone",
    "intake_note",
    "created_at",
    "reschedule_count",
    "cancelled_at",
    "cancelled_by",
    "cancel_reason",
    "no_show_party",
    "finished_at",
    "refund_amount",
)


def _bookings(user: Any) -> Any:
    return Booking.objects.filter(Q(client=user) | Q(reader=user))


def _export(user: Any) -> dict[str, Any]:
    bookings = list(_bookings(user).order_by("starts_at", "pk").values(*BOOKING_FIELDS))
    for booking in bookings:
        is_client = booking.pop("client_id") == user.pk
        booking["your_role"] = "client" if is_client else "reader"
        if not is_client:
            booking.pop("intake_note")  # the client's words: in the client's export
    schedule = ReaderSchedule.objects.filter(reader=user).values(
        "timezone", "is_accepting", "durations", "buffer_before_minutes", "buffer_after_minutes"
    )
    return {
        "bookings": bookings,
        "schedule": schedule.first(),
        "weekly_windows": list(
            WeeklyWindow.objects.filter(reader=user).order_by("pk").values("weekday", "start_time", "end_time")
        ),
        "date_exceptions": list(
            DateException.objects.filter(reader=user).order_by("pk").values("date", "kind", "start_time", "end_time")
        ),
        "time_blocks": list(
            TimeBlock.objects.filter(reader=user).order_by("pk").values("starts_at", "ends_at", "note")
        ),
    }


def _blockers(user: Any) -> list[str]:
    count = _bookings(user).filter(status__in=sorted(ACTIVE_BOOKING_STATUSES)).count()
    if not count:
        return []
    noun = "booked reading is" if count == 1 else "booked readings are"
    return [f"{count} {noun} still upcoming or in progress. Cancel them or wait until they are over."]


def _erase(user: Any) -> None:
    Booking.objects.filter(client=user).exclude(intake_note="").update(intake_note="")
    own_reasons = Booking.objects.filter(
        Q(client=user, cancelled_by=CancelledBy.CLIENT) | Q(reader=user, cancelled_by=CancelledBy.READER)
    ).exclude(cancel_reason="")
    # The other party's notification of the cancellation quoted the reason.
    notification_texts_remove(texts=own_reasons.values_list("cancel_reason", flat=True), replacement="")
    own_reasons.update(cancel_reason="")
    TimeBlock.objects.filter(reader=user).delete()
    WeeklyWindow.objects.filter(reader=user).delete()
    DateException.objects.filter(reader=user).delete()
    ReaderSchedule.objects.filter(reader=user).update(is_accepting=False)


personal_data_register(
    PersonalData(
        key="scheduling.bookings",
        export=_export,
        erase=_erase,
        blockers=_blockers,
        models=(
            "scheduling.Booking",
            "scheduling.BookingInvite",
            "scheduling.ReaderSchedule",
            "scheduling.WeeklyWindow",
            "scheduling.DateException",
            "scheduling.TimeBlock",
        ),
    )
)
