"""Readings in the Django admin, all read-only.

A reading's state, billing and settlement change only through the readings services (each minute billed from the
client's hold through the ledger); reviews are hidden or shown again through moderation. The client's intake note,
the reading's chat and the reader's notes are the parties' own words and stay out of the admin.
"""

from django.contrib import admin

from apps.core.admin import ReadOnlyAdmin, ReadOnlyInline, user_email_column

from .models import ReadingSession, Review, SessionEvent


class SessionEventInline(ReadOnlyInline):
    model = SessionEvent
    fields = ("at", "from_state", "to_state", "reason", "actor", "active_seconds", "minutes_billed")
    list_select_related = ("actor",)


@admin.register(ReadingSession)
class ReadingSessionAdmin(ReadOnlyAdmin):
    """Read-only: money. Billed minute by minute and settled through the ledger by the readings services."""

    list_display = (
        "__str__",
        user_email_column("client", "Client"),
        user_email_column("reader", "Reader"),
        "modality",
        "billing",
        "state",
        "rate_amount",
        "minutes_billed",
        "charged_amount",
        "created_at",
        "ended_at",
    )
    list_filter = ("state", "modality", "billing", "end_reason")
    search_fields = ("id__exact", "client__email", "reader__email", "channel_name")
    date_hierarchy = "created_at"
    list_select_related = ("client", "reader")
    exclude = ("intake_note",)
    inlines = [SessionEventInline]


@admin.register(SessionEvent)
class SessionEventAdmin(ReadOnlyAdmin):
    """Read-only: each change of a reading's state, recorded by the service that made it."""

    list_display = (
        "__str__",
        "session",
        "from_state",
        "to_state",
        "reason",
        user_email_column("actor", "By"),
        "at",
        "minutes_billed",
    )
    list_filter = ("to_state", "reason")
    search_fields = ("session__id__exact", "actor__email", "reason")
    date_hierarchy = "at"
    list_select_related = ("session", "actor")


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    """Read-only: written by the client after their reading, answered by the reader, hidden through moderation
    (which recomputes the reader's rating)."""

    list_display = (
        "__str__",
        user_email_column("client", "Client"),
        user_email_column("reader", "Reader"),
        "rating",
        "is_hidden",
        user_email_column("hidden_by", "Hidden by"),
        "created_at",
        "replied_at",
    )
    list_filter = ("rating", "is_hidden")
    search_fields = ("session__id__exact", "client__email", "reader__email", "body", "reply_body")
    date_hierarchy = "created_at"
    list_select_related = ("client", "reader", "hidden_by")
