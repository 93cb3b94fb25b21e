"""A stream's chat: persisted lines, rate limited per person, reportable to the moderators."""

from typing import Any

from django.db import transaction

from apps.core.ratelimit import rate_limit_consume
from apps.moderation.guards import write_guard

from ..constants import CHAT_MAX_LENGTH, CHAT_RATE_LIMIT, CHAT_RATE_WINDOW_SECONDS
from ..enums import StreamState
from ..exceptions import InvalidChatMessage, StreamNotLive
from ..models import Stream, StreamMessage


def chat_body_clean(body: Any) -> str:
    text = str(body or "").replace("\r\n", "\n").strip()
    if not text:
        raise InvalidChatMessage()
    if len(text) > CHAT_MAX_LENGTH:
        raise InvalidChatMessage(
            f"A chat message can be at most {CHAT_MAX_LENGTH} characters long ({len(text)} given)."
        )
    return text


def chat_post(*, actor: Any, stream: Stream, body: Any) -> StreamMessage:
    """Post one line in a live stream's chat. ``stream`` comes from ``selectors.stream_get_member``.

    At most CHAT_RATE_LIMIT lines a minute per person; a refused line writes nothing.
    """
    write_guard(actor)
    text = chat_body_clean(body)
    if stream.state != StreamState.LIVE:
        raise StreamNotLive("The chat is open while the stream is live.")
    rate_limit_consume(
        scope="live-chat",
        subject_id=actor.pk,
        limit=CHAT_RATE_LIMIT,
        window_seconds=CHAT_RATE_WINDOW_SECONDS,
        message=f"You can send up to {CHAT_RATE_LIMIT} chat messages a minute. Please wait a moment.",
    )
    with transaction.atomic(durable=True):
        return StreamMessage.objects.create(stream=stream, sender=actor, body=text)
