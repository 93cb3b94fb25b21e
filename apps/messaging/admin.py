"""Conversations and messages in the Django admin, read-only.

Message text stays out of the admin: it is read through the moderation queue when reported. A paid reply's price and
the ledger transaction that unlocked it are shown, as that is money.
"""

from django.contrib import admin

from apps.core.admin import ReadOnlyAdmin, user_email_column

from .models import Conversation, Message


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyAdmin):
    """Conversations by their parties only; message text is read through the moderation queue when reported."""

    list_display = ("id", "client", "reader", "last_message_at", "blocked_at")
    list_select_related = ("client", "reader")


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    """Read-only: sent, read and unlocked through the messaging services (a paid reply is unlocked with a ledger
    transaction). The text is not shown."""

    list_display = (
        "__str__",
        "conversation",
        user_email_column("sender", "Sender"),
        "is_paid",
        "price_amount",
        "unlocked_at",
        "transaction",
        "read_at",
        "hidden_at",
        "created_at",
    )
    list_filter = ("is_paid", ("unlocked_at", admin.EmptyFieldListFilter), ("hidden_at", admin.EmptyFieldListFilter))
    search_fields = ("id__exact", "conversation__id__exact", "sender__email")
    date_hierarchy = "created_at"
    list_select_related = ("conversation", "sender", "transaction")
    exclude = ("body",)
