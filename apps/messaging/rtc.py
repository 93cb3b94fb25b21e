"""Live updates of a conversation over Agora RTM (registered with apps.rtc in apps.py).

RTM is only a doorbell here: a content-free "changed" ping on the conversation's channel makes the open
conversation pages poll the server at once. Only the two parties of a conversation get a token; nothing is
issued without RTM.
"""

from typing import Any

from apps.core.parsing import id_or_none
from apps.rtc.access import AccessDecision, AccessRefused, rtc_uid_for
from apps.rtc.channels import channel_name_for
from apps.rtc.enums import Modality, RtcRole
from apps.rtc.selectors import rtm_enabled

from .models import Conversation

CONVERSATION_USE = "conversation"
CONVERSATION_CHANNEL_KIND = "convo"
REFRESH_EVENT = "rtc-ping"


def conversation_channel_name(conversation_id: int) -> str:
    return channel_name_for(CONVERSATION_CHANNEL_KIND, conversation_id)


def conversation_rtc_access(*, user: Any, object_id: str) -> AccessDecision:
    """A party of the conversation (its client or its reader); anyone else: 404."""
    conversation_id = id_or_none(object_id)
    if conversation_id is None:
        raise AccessRefused("This conversation does not exist.", not_found=True)
    parties = Conversation.objects.filter(pk=conversation_id).values_list("client_id", "reader_id").first()
    if parties is None or getattr(user, "pk", None) not in parties:
        raise AccessRefused("This conversation does not exist.", not_found=True)
    if not rtm_enabled():
        raise AccessRefused("Live updates need Agora RTM; new messages arrive by polling.", code="rtm_off")
    return AccessDecision(
        role=str(RtcRole.SUBSCRIBER),
        channel_name=conversation_channel_name(conversation_id),
        uid=rtc_uid_for(user),
        modality=str(Modality.VOICE),
    )
