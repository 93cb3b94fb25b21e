"""Personal data of messaging: the user's conversations, their messages and paid replies (see
``apps/core/privacy.py``). A deleted user's messages keep their place in the other party's thread (a paid reply
keeps its ledger transaction) but lose their text."""

from typing import Any

from django.db.models import Q

from apps.core.privacy import PersonalData, personal_data_register

from .models import Conversation, EmailBatch, Message

REMOVED = "[Removed when the account was deleted.]"


def _export(user: Any) -> list[dict[str, Any]]:
    conversations = list(
        Conversation.objects.filter(Q(client=user) | Q(reader=user))
        .order_by("pk")
        .values("id", "client_id", "created_at", "last_message_at", "blocked_at")
    )
    by_id = {conversation["id"]: conversation for conversation in conversations}
    for conversation in conversations:
        conversation["your_role"] = "client" if conversation.pop("client_id") == user.pk else "reader"
        conversation["messages"] = []
    for message in Message.objects.filter(conversation_id__in=by_id).order_by("created_at", "pk"):
        own = message.sender_id == user.pk
        if own:
            text = message.body
        elif message.is_hidden:
            text = "[Hidden by a moderator.]"
        elif message.is_locked:
            text = "[A paid reply you have not unlocked.]"
        else:
            text = message.body
        by_id[message.conversation_id]["messages"].append(
            {
                "from": "you" if own else "the other party",
                "at": message.created_at,
                "text": text,
                "is_paid_reply": message.is_paid,
                "price": message.price_amount,
                "unlocked_at": message.unlocked_at,
                "read_at": message.read_at,
            }
        )
    return conversations


def _erase(user: Any) -> None:
    Message.objects.filter(sender=user).update(body=REMOVED)
    EmailBatch.objects.filter(recipient=user).delete()


personal_data_register(
    PersonalData(
        key="messaging.conversations",
        export=_export,
        erase=_erase,
        models=("messaging.Conversation", "messaging.Message", "messaging.EmailBatch"),
    )
)
