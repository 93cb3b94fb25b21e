"""Scheduling in the Django admin, all read-only.

Readers set their hours, days off and blocked times on their own schedule pages (the slots offered to clients are
computed from them); bookings are paid from the client's hold when made and settled, refunded or cancelled only
through the scheduling services, which also send each calendar invite. The client's intake note stays theirs.
"""

from django.contrib import admin

from apps.core.admin import ReadOnlyAdmin, user_email_column

from .models import Booking, BookingInvite, DateException, ReaderSchedule, TimeBlock, WeeklyWindow

reader_email = user_email_column("reader", "Reader")


@admin.register(ReaderSchedule)
class ReaderScheduleAdmin(ReadOnlyAdmin):
    """Read-only: the reader's own booking settings."""

    list_display = ("id", reader_email, "timezone", "is_accepting", "durations", "min_notice_minutes", "updated_at")
    list_filter = ("is_accepting",)
    search_fields = ("reader__email", "timezone")
    date_hierarchy = "updated_at"
    list_select_related = ("reader",)


@admin.register(WeeklyWindow)
class WeeklyWindowAdmin(ReadOnlyAdmin):
    """Read-only: a reader's weekly working hours, in their schedule's timezone."""

    list_display = ("id", reader_email, "weekday", "start_time", "end_time")
    list_filter = ("weekday",)
    search_fields = ("reader__email",)
    list_select_related = ("reader",)


@admin.register(DateException)
class DateExceptionAdmin(ReadOnlyAdmin):
    """Read-only: a reader's day off or changed hours on one date."""

    list_display = ("id", reader_email, "date", "kind", "start_time", "end_time")
    list_filter = ("kind",)
    search_fields = ("reader__email",)
    date_hierarchy = "date"
    list_select_related = ("reader",)


@admin.register(TimeBlock)
class TimeBlockAdmin(ReadOnlyAdmin):
    """Read-only: a time a reader blocked out."""

    list_display = ("id", reader_email, "starts_at", "ends_at", "note", "created_at")
    search_fields = ("reader__email", "note")
    date_hierarchy = "starts_at"
    list_select_related = ("reader",)


@admin.register(Booking)
class BookingAdmin(ReadOnlyAdmin):
    """Read-only: money. The price is held from the client's wallet when booked and settled, refunded or cancelled
    through the scheduling services and the ledger."""

    list_display = (
        "__str__",
        user_email_column("client", "Client"),
        reader_email,
        "modality",
        "starts_at",
        "duration_minutes",
        "status",
        "price_amount",
        "refund_amount",
        "created_at",
    )
    list_filter = ("status", "modality", "cancelled_by", "no_show_party")
    search_fields = ("id__exact", "client__email", "reader__email", "idempotency_key")
    date_hierarchy = "starts_at"
    list_select_related = ("client", "reader")
    exclude = ("intake_note",)


@admin.register(BookingInvite)
class BookingInviteAdmin(ReadOnlyAdmin):
    """Read-only: each calendar invite (or update, or cancellation) of a booking, and whether it was sent."""

    list_display = (
        "__str__",
        "booking",
        user_email_column("recipient", "Recipient"),
        "event",
        "sequence",
        "created_at",
        "sent_at",
        "skipped_reason",
    )
    list_filter = ("event", ("sent_at", admin.EmptyFieldListFilter))
    search_fields = ("booking__id__exact", "recipient__email")
    date_hierarchy = "created_at"
    list_select_related = ("booking", "recipient")
