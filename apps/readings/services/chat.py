"""The chat of a reading: messages posted to the server, which keeps them as the transcript.

Delivery is by polling over HTTP (and by RTM when configured); the server is the source of truth.
"""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.core.exceptions import DomainError
from apps.core.ratelimit import rate_limit_consume
from apps.moderation.guards import write_guard
from apps.readings.enums import SessionState
from apps.readings.exceptions import InvalidTransition, SessionNotFound
from apps.readings.models import MESSAGE_MAX_LENGTH, ReadingSession, SessionMessage

# A person types far slower than this; a script posting faster is refused (nothing written).
CHAT_RATE_LIMIT = 20
CHAT_RATE_WINDOW_SECONDS = 10

# The chat is part of the paid time: it is open only while the reading is active (billed). During a pause (the
# wallet cannot pay the next minute) or a reconnection (nothing is billed) nobody writes, as nobody talks.
CHAT_OPEN_STATES = frozenset({SessionState.ACTIVE})
CHAT_CLOSED_MESSAGES: dict[str, str] = {
    str(
        SessionState.PAUSED
    ): "The chat is paused with the reading: it reopens when the wallet can pay the next minute.",
    str(SessionState.RECONNECTING): "The chat is paused while the reading waits for both of you to be back.",
    str(SessionState.WAITING): "The chat opens when the reader accepts the request.",
}
CHAT_CLOSED_DEFAULT = "The chat is closed: this reading is not in progress."


def chat_closed_message(state: str) -> str:
    return CHAT_CLOSED_MESSAGES.get(state, CHAT_CLOSED_DEFAULT)


@transaction.atomic(durable=True)
def session_message_post(*, sender: Any, session_id: int, body: str, now: datetime | None = None) -> SessionMessage:
    """One of the two parties writes in the chat of an active reading.

    ``SessionNotFound`` for anyone else; ``InvalidTransition`` (code ``chat_closed``) whenever the reading is not
    ``active``: before it started, while it is paused or reconnecting (unbilled), once it is over. An empty or
    too long message is refused with a ``DomainError``. Nothing is written on refusal.
    """
    if not getattr(sender, "is_authenticated", False):
        raise SessionNotFound()
    session = ReadingSession.objects.filter(pk=session_id).only("id", "client_id", "reader_id", "state").first()
    if session is None or sender.pk not in (session.client_id, session.reader_id):
        raise SessionNotFound()
    write_guard(sender)
    text = (body or "").strip()
    if not text:
        raise DomainError("Write a message first.")
    if len(text) > MESSAGE_MAX_LENGTH:
        raise DomainError(f"A message can be at most {MESSAGE_MAX_LENGTH} characters.")
    if session.state not in CHAT_OPEN_STATES:
        raise InvalidTransition(chat_closed_message(session.state), code="chat_closed")
    rate_limit_consume(
        scope="reading-chat",
        subject_id=sender.pk,
        limit=CHAT_RATE_LIMIT,
        window_seconds=CHAT_RATE_WINDOW_SECONDS,
        message="You are sending messages too quickly. Please wait a moment.",
    )
    return SessionMessage.objects.create(
        session_id=session.pk, sender=sender, body=text, created_at=now or timezone.now()
    )
