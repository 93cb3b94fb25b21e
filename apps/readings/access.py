"""Agora access for readings (registered with apps.rtc in apps.py).

Tokens: only the two parties, only for a voice or video reading that is ``active`` and whose time in hand is
paid (the billing tick has charged the minute in progress); both are publishers. Paid time is the only time
anyone gets: the token's privileges end where the minutes already paid run out
(``ReadingSession.billed_until_at``) plus ``READING_TOKEN_PAID_MARGIN_SECONDS``, which covers the few seconds
the tick takes to charge the next minute (heartbeats every 10 s, ticks every 5 s). The room renews when
Agora warns that the token is about to expire; the renewal passes this same check, so a reading that paused,
is reconnecting or ended gets nothing, and Agora drops the party at the paid boundary plus the margin. A
paused or reconnecting reading gets its media back through a fresh token once it is ``active`` again.
Presence reports are accepted from the parties of any live reading.

Chat doorbell (``reading_chat``): with RTM on, the two parties of a live reading (any modality, text
included) get an RTM token for the reading's chat channel, which carries only content-free "changed" pings;
the chat itself is always read from the server.
"""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from apps.core.parsing import id_or_none
from apps.readings.enums import LIVE_STATES, Modality, SessionState
from apps.readings.models import ReadingSession, SessionEvent
from apps.rtc.access import PAYMENT_PENDING, AccessDecision, AccessRefused, rtc_uid_for
from apps.rtc.channels import channel_name_for
from apps.rtc.enums import Modality as RoomModality
from apps.rtc.enums import RtcRole
from apps.rtc.kicking import rtc_kick_enqueue
from apps.rtc.selectors import rtm_enabled


def _party_session(*, user: Any, object_id: str) -> ReadingSession:
    session_id = id_or_none(object_id)
    if session_id is None:
        raise AccessRefused("This room does not exist.", not_found=True)
    session = ReadingSession.objects.filter(pk=session_id).first()
    if session is None or getattr(user, "pk", None) not in (session.client_id, session.reader_id):
        raise AccessRefused("This room does not exist.", not_found=True)
    if session.modality == Modality.TEXT:
        raise AccessRefused("A chat reading has no voice or video room.")
    return session


def _decision(session: ReadingSession, user: Any, *, expires_at: Any = None) -> AccessDecision:
    return AccessDecision(
        role=str(RtcRole.PUBLISHER),
        channel_name=session.channel_name,
        uid=rtc_uid_for(user),
        modality=session.modality,
        expires_at=expires_at,
    )


def paid_margin() -> timedelta:
    return timedelta(seconds=int(settings.READING_TOKEN_PAID_MARGIN_SECONDS))


def session_rtc_access(*, user: Any, object_id: str) -> AccessDecision:
    """A party of an active reading whose time in hand is paid: publisher, until the paid time (+ margin) ends."""
    session = _party_session(user=user, object_id=object_id)
    if session.state == SessionState.PAUSED:
        raise AccessRefused(
            "The reading is paused until the wallet can pay the next minute; voice and video come back then.",
            code="paused",
        )
    if session.state == SessionState.RECONNECTING:
        raise AccessRefused(
            "The reading is waiting for both of you to be back; voice and video come back then.", code="reconnecting"
        )
    if session.state != SessionState.ACTIVE:
        raise AccessRefused("This reading is not in progress.", code="not_in_progress")
    if session.billed_until_at is None or session.billed_until_at <= timezone.now():
        # The minute in progress is charged at the first heartbeats in it; the room asks again in a moment.
        raise AccessRefused("The next minute of this reading is not paid yet.", code=PAYMENT_PENDING)
    if session.is_prepaid:
        # Paid in advance up to the booked end, and not a second more.
        return _decision(session, user, expires_at=session.prepaid_until_at)
    return _decision(session, user, expires_at=session.billed_until_at + paid_margin())


MEDIA_STOP_STATES = frozenset({SessionState.PAUSED, SessionState.ENDED})


def session_media_stop(*, session: ReadingSession, event: SessionEvent) -> None:
    """A voice or video reading that paused or ended also removes both parties from its channel through Agora
    (one outbox message per party and event, sent after commit; nothing while kicking is off). Paused: removed
    without a ban (resuming rejoins at once); ended: banned until their tokens have expired.

    Inner helper: the caller holds the transaction of the transition (``session_transition``).
    """
    if event.to_state not in MEDIA_STOP_STATES or session.accepted_at is None or not session.channel_name:
        return
    if session.modality == Modality.TEXT:
        return
    rtc_kick_enqueue(
        use="session",
        object_id=session.pk,
        channel_name=session.channel_name,
        user_ids=[session.client_id, session.reader_id],
        event_key=f"event-{event.pk}",
        final=event.to_state == SessionState.ENDED,
    )


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
    session_id = id_or_none(object_id)
    if session_id is None:
        raise AccessRefused("This reading does not exist.", not_found=True)
    session = ReadingSession.objects.filter(pk=session_id).only("pk", "client_id", "reader_id", "state").first()
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
