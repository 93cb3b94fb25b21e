"""Agora access for readings (registered with apps.rtc in apps.py).

Tokens: only the two parties, only for a voice or video reading that is live and funded (``active``, or
``reconnecting`` so that a dropped party can rejoin within the grace); both are publishers. A paused reading
(unpaid) gets no new token. Presence reports are accepted from the parties of any live reading.

Chat doorbell (``reading_chat``): with RTM on, the two parties of a live reading (any modality, text
included) get an RTM token for the reading's chat channel, which carries only content-free "changed" pings;
the chat itself is always read from the server.
"""

from typing import Any

from apps.rtc.access import AccessDecision, AccessRefused, rtc_uid_for
from apps.rtc.channels import channel_name_for
from apps.rtc.enums import Modality as RoomModality
from apps.rtc.enums import RtcRole
from apps.rtc.selectors import rtm_enabled
from apps.sessions.enums import LIVE_STATES, Modality, SessionState
from apps.sessions.models import ReadingSession

FUNDED_STATES = frozenset({SessionState.ACTIVE, SessionState.RECONNECTING})


def _party_session(*, user: Any, object_id: str) -> ReadingSession:
    if not str(object_id).isdigit():
        raise AccessRefused("This room does not exist.", not_found=True)
    session = ReadingSession.objects.filter(pk=int(object_id)).first()
    if session is None or getattr(user, "pk", None) not in (session.client_id, session.reader_id):
        raise AccessRefused("This room does not exist.", not_found=True)
    if session.modality == Modality.TEXT:
        raise AccessRefused("A chat reading has no voice or video room.")
    return session


def _decision(session: ReadingSession, user: Any) -> AccessDecision:
    return AccessDecision(
        role=str(RtcRole.PUBLISHER), channel_name=session.channel_name, uid=rtc_uid_for(user), modality=session.modality
    )


def session_rtc_access(*, user: Any, object_id: str) -> AccessDecision:
    """Session participant of a live, funded reading: publisher."""
    session = _party_session(user=user, object_id=object_id)
    if session.state == SessionState.PAUSED:
        raise AccessRefused("The reading is paused until the wallet is topped up.")
    if session.state not in FUNDED_STATES:
        raise AccessRefused("This reading is not in progress.")
    return _decision(session, user)


def session_presence_access(*, user: Any, object_id: str) -> AccessDecision:
    session = _party_session(user=user, object_id=object_id)
    if session.state not in LIVE_STATES:
        raise AccessRefused("This reading is not in progress.")
    return _decision(session, user)


READING_CHAT_USE = "reading_chat"
READING_CHAT_CHANNEL_KIND = "chat"
READING_CHAT_REFRESH_EVENT = "chat-refresh"  # the chat poller already listens to it on <body>


def reading_chat_channel_name(session_id: int) -> str:
    return channel_name_for(READING_CHAT_CHANNEL_KIND, session_id)


def reading_chat_rtc_access(*, user: Any, object_id: str) -> AccessDecision:
    """A party of a live reading: an RTM login for the chat doorbell (join-only RTC privilege)."""
    if not str(object_id).isdigit():
        raise AccessRefused("This reading does not exist.", not_found=True)
    session = ReadingSession.objects.filter(pk=int(object_id)).only("pk", "client_id", "reader_id", "state").first()
    if session is None or getattr(user, "pk", None) not in (session.client_id, session.reader_id):
        raise AccessRefused("This reading does not exist.", not_found=True)
    if session.state not in LIVE_STATES:
        raise AccessRefused("This reading is not in progress.")
    if not rtm_enabled():
        raise AccessRefused("Live chat updates need Agora RTM; messages arrive by polling.", code="rtm_off")
    return AccessDecision(
        role=str(RtcRole.SUBSCRIBER),
        channel_name=reading_chat_channel_name(session.pk),
        uid=rtc_uid_for(user),
        modality=str(RoomModality.VOICE),
    )
