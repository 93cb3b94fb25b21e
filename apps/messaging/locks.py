"""Row locks of the messaging app. Callers hold the transaction."""

from .models import Conversation, Message


def message_lock(*, message_id: int) -> Message:
    """Lock and return one message (raises Message.DoesNotExist)."""
    return Message.objects.select_for_update(of=("self",)).get(pk=message_id)


def conversation_lock(*, conversation_id: int) -> Conversation:
    """Lock and return one conversation (raises Conversation.DoesNotExist)."""
    return Conversation.objects.select_for_update(of=("self",)).get(pk=conversation_id)
