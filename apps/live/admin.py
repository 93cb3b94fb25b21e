"""Livestreams in the Django admin, all read-only.

Streams go live and end, tickets and gifts are paid through the ledger, and chat is hidden through moderation,
each by the live services; gift kinds are edited on the staff gift pages.
"""

from django.contrib import admin

from apps.core.admin import ReadOnlyAdmin, user_email_column

from .models import GiftKind, Stream, StreamEvent, StreamGift, StreamInvite, StreamMessage, StreamTicket, StreamViewer

user_email = user_email_column("user", "User")


@admin.register(Stream)
class StreamAdmin(ReadOnlyAdmin):
    """Read-only: created, started and ended by the reader through the live services."""

    list_display = (
        "__str__",
        user_email_column("host", "Host"),
        "visibility",
        "ticket_price_amount",
        "state",
        "scheduled_start_at",
        "started_at",
        "ended_at",
        "peak_viewers",
    )
    list_filter = ("state", "visibility", "end_reason")
    search_fields = ("id__exact", "title", "host__email", "channel_name")
    date_hierarchy = "created_at"
    list_select_related = ("host",)


@admin.register(StreamInvite)
class StreamInviteAdmin(ReadOnlyAdmin):
    """Read-only: who the host let into a private stream."""

    list_display = ("id", "stream", user_email, "created_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("stream__id__exact", "stream__title", "user__email")
    date_hierarchy = "created_at"
    list_select_related = ("stream", "user")


@admin.register(StreamTicket)
class StreamTicketAdmin(ReadOnlyAdmin):
    """Read-only: money. Bought through the ledger."""

    list_display = ("id", "stream", user_email, "price_amount", "transaction", "created_at")
    search_fields = ("stream__id__exact", "stream__title", "user__email")
    date_hierarchy = "created_at"
    list_select_related = ("stream", "user", "transaction")


@admin.register(GiftKind)
class GiftKindAdmin(ReadOnlyAdmin):
    """Read-only: edited on the staff gift pages, which audit each change."""

    list_display = ("name", "price_amount", "animation", "is_active", "position", "created_at")
    list_filter = ("is_active", "animation")
    search_fields = ("name",)
    date_hierarchy = "created_at"


@admin.register(StreamGift)
class StreamGiftAdmin(ReadOnlyAdmin):
    """Read-only: money. Sent through the ledger, the reader's share credited in the same transaction."""

    list_display = (
        "id",
        "stream",
        user_email_column("sender", "Sender"),
        "name",
        "price_amount",
        "reader_amount",
        "transaction",
        "created_at",
    )
    list_filter = ("animation",)
    search_fields = ("stream__id__exact", "stream__title", "sender__email", "name")
    date_hierarchy = "created_at"
    list_select_related = ("stream", "sender", "transaction")


@admin.register(StreamEvent)
class StreamEventAdmin(ReadOnlyAdmin):
    """Read-only: what happened in a stream, recorded by the service that did it."""

    list_display = ("id", "stream", "kind", user_email, "gift", "created_at")
    list_filter = ("kind",)
    search_fields = ("stream__id__exact", "stream__title", "user__email")
    date_hierarchy = "created_at"
    list_select_related = ("stream", "user", "gift")


@admin.register(StreamMessage)
class StreamMessageAdmin(ReadOnlyAdmin):
    """Read-only: a stream's public chat; messages are hidden through moderation."""

    list_display = ("id", "stream", user_email_column("sender", "Sender"), "body", "hidden_at", "created_at")
    list_filter = (("hidden_at", admin.EmptyFieldListFilter),)
    search_fields = ("stream__id__exact", "sender__email", "body")
    date_hierarchy = "created_at"
    list_select_related = ("stream", "sender")


@admin.register(StreamViewer)
class StreamViewerAdmin(ReadOnlyAdmin):
    """Read-only: who watched a stream, and who the host removed."""

    list_display = ("id", "stream", user_email, "joined_at", "last_seen_at", "removed_at")
    list_filter = (("removed_at", admin.EmptyFieldListFilter),)
    search_fields = ("stream__id__exact", "stream__title", "user__email")
    date_hierarchy = "joined_at"
    list_select_related = ("stream", "user")
