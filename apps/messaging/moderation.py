"""How the moderation queue handles messages (registered in MessagingConfig.ready)."""

from typing import Any

from apps.moderation.registry import ContentSummary, ModeratableType

from .models import Message
from .services import message_hide

TYPE_KEY = "messaging.message"


def message_reportable_get(*, user: Any, object_id: int) -> Message:
    """A message sent to ``user`` in one of their conversations and still shown (raises DoesNotExist)."""
    from django.db.models import Q

    return (
        Message.objects.filter(Q(conversation__client_id=user.pk) | Q(conversation__reader_id=user.pk))
        .exclude(sender_id=user.pk)
        .filter(hidden_at__isnull=True)
        .get(pk=object_id)
    )


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
    summary=message_summary,
)
