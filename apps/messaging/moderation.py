"""How the moderation queue handles messages (registered in MessagingConfig.ready)."""

from typing import Any

from django.db.models import Q
from django.utils import timezone

from apps.moderation.registry import ContentSummary, ModeratableType

from .models import Message

TYPE_KEY = "messaging.message"


def message_reportable_get(*, user: Any, object_id: int) -> Message:
    """A message sent to ``user`` in one of their conversations and still shown (raises DoesNotExist)."""
    return (
        Message.objects.filter(Q(conversation__client_id=user.pk) | Q(conversation__reader_id=user.pk))
        .exclude(sender_id=user.pk)
        .filter(hidden_at__isnull=True)
        .get(pk=object_id)
    )


def message_hide(*, obj: Message, actor: Any, reason: str) -> bool:
    """Hide a message from both people. Inner helper: the caller holds the transaction and audits the decision.

    A conditional UPDATE: it waits for an unlock holding the message's row lock, so a paid reply is never
    charged for and hidden at once without one of the two seeing the other's result.
    """
    return Message.objects.filter(pk=obj.pk, hidden_at__isnull=True).update(hidden_at=timezone.now()) == 1


def message_unhide(*, obj: Message, actor: Any) -> bool:
    """Show a hidden message again. Inner helper: the caller holds the transaction and audits the decision."""
    return Message.objects.filter(pk=obj.pk, hidden_at__isnull=False).update(hidden_at=None) == 1


def message_summary(message: Message) -> ContentSummary:
    context = f"Conversation {message.conversation_id}"
    if message.is_paid:
        context += f", paid reply ${message.price_amount} ({'locked' if message.is_locked else 'unlocked'})"
    return ContentSummary(author=message.sender, text=message.body, is_hidden=message.is_hidden, context=context)


MESSAGE_MODERATION = ModeratableType(
    key=TYPE_KEY,
    label="Message",
    model=Message,
    reportable_get=message_reportable_get,
    hide=message_hide,
    unhide=message_unhide,
    summary=message_summary,
)
