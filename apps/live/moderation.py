"""How the moderation queue handles stream chat lines (registered in LiveConfig.ready)."""

from typing import Any

from django.utils import timezone

from apps.moderation.registry import ContentSummary, ModeratableType

from .access import stream_access_for
from .models import StreamMessage

TYPE_KEY = "live.chat_message"


def chat_message_reportable_get(*, user: Any, object_id: int) -> StreamMessage:
    """A shown chat line someone else wrote in a stream ``user`` may use (raises DoesNotExist)."""
    message = (
        StreamMessage.objects.select_related("stream")
        .exclude(sender_id=user.pk)
        .filter(hidden_at__isnull=True)
        .get(pk=object_id)
    )
    if not stream_access_for(viewer=user, stream=message.stream).is_member:
        raise StreamMessage.DoesNotExist()
    return message


def chat_message_hide(*, obj: StreamMessage, actor: Any, reason: str) -> bool:
    """Take a line off every viewer's chat (their next poll no longer returns it). Inner helper: the caller holds
    the transaction and audits the decision."""
    return StreamMessage.objects.filter(pk=obj.pk, hidden_at__isnull=True).update(hidden_at=timezone.now()) == 1


def chat_message_unhide(*, obj: StreamMessage, actor: Any) -> bool:
    """Show a hidden line again. Inner helper, like ``chat_message_hide``."""
    return StreamMessage.objects.filter(pk=obj.pk, hidden_at__isnull=False).update(hidden_at=None) == 1


def chat_message_summary(message: StreamMessage) -> ContentSummary:
    return ContentSummary(
        author=message.sender,
        text=message.body,
        is_hidden=message.is_hidden,
        context=f"Chat of livestream #{message.stream_id}",
    )


STREAM_MESSAGE_MODERATION = ModeratableType(
    key=TYPE_KEY,
    label="Livestream chat message",
    model=StreamMessage,
    reportable_get=chat_message_reportable_get,
    hide=chat_message_hide,
    unhide=chat_message_unhide,
    summary=chat_message_summary,
)
