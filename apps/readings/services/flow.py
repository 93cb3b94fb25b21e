"""Inner helpers shared by the public services and the tick: each moves one locked reading and books what
goes with it (minutes, reader presence, notifications after commit). The caller holds the transaction and
the reading's row lock, and has re-checked its state after locking."""

from datetime import datetime
from functools import partial
from typing import Any

from django.db import transaction

from apps.notifications.registry import notification_kind_register
from apps.notifications.services import notify
from apps.readers.services import reader_presence_set_busy
from apps.readings.constants import MAX_RECONNECTS, RECONNECT_GRACE_SECONDS, SILENCE_TIMEOUT
from apps.readings.enums import EndReason, SessionState
from apps.readings.models import ReadingSession, SessionEvent
from apps.readings.services.billing import CAP_REACHED, NO_FUNDS, accrue
from apps.readings.services.transitions import seconds_between, session_transition

S = SessionState
NOTIFY_KIND_REQUEST = notification_kind_register("readings.session_request", label="A reading request")
NOTIFY_KIND_UPDATE = notification_kind_register("readings.session_update", label="A reading changed state")


def session_url(session: ReadingSession) -> str:
    return f"/readings/{session.pk}/"


def end(
    *,
    session: ReadingSession,
    reason: Any,
    now: datetime,
    actor: Any = None,
    active_until: datetime | None = None,
    note: str = "",
) -> SessionEvent:
    """End a live reading. From ``active``, first charge the minute already started (per started minute);
    if it cannot be paid, the active time stops at the end of the last paid minute."""
    if session.state == S.ACTIVE:
        accrue(session=session, now=now, until=active_until)
    was_active = session.accepted_at is not None
    event = session_transition(
        session=session, to_state=S.ENDED, reason=reason, now=now, actor=actor, active_until=active_until, note=note
    )
    if was_active:
        reader_presence_set_busy(reader_user_id=session.reader_id, busy=False)
    if was_active or session.is_prepaid:
        # A prepaid reading's app is told at once, even if the reading never started (``prepaid.py``).
        from apps.readings.tasks import session_finalize_task

        transaction.on_commit(partial(session_finalize_task.delay, session.pk))
    label = EndReason(reason).label if reason in EndReason.values else "The reading ended."
    for user_id in (session.client_id, session.reader_id):
        if actor is not None and getattr(actor, "pk", None) == user_id:
            continue
        notify(
            user=session.client if user_id == session.client_id else session.reader,
            kind=NOTIFY_KIND_UPDATE,
            title=f"Reading #{session.pk} ended",
            body=label,
            url=session_url(session),
        )
    return event


def settle_active(*, session: ReadingSession, now: datetime, until: datetime | None = None) -> str | None:
    """Charge what an active reading has started; pause it (no funds) or end it (spending limit) when the
    next minute cannot be paid. Returns what happened: None, NO_FUNDS (now paused) or CAP_REACHED (ended)."""
    refused = accrue(session=session, now=now, until=until)
    if refused == NO_FUNDS:
        session_transition(session=session, to_state=S.PAUSED, reason=NO_FUNDS, now=now)
        notify(
            user=session.client,
            kind=NOTIFY_KIND_UPDATE,
            title="Your reading is paused",
            body="Your wallet cannot pay the next minute. Add funds within 3 minutes to continue.",
            url=session_url(session),
        )
    elif refused == CAP_REACHED:
        end(session=session, reason=EndReason.SPENDING_CAP, now=now)
    return refused


def disconnect(*, session: ReadingSession, now: datetime, until: datetime) -> None:
    """A party went silent (or left the room) at ``until``: active time stops there; the reading waits for
    them in ``reconnecting``, or ends if this would be one reconnect too many or no grace is left."""
    refused = accrue(session=session, now=now, until=until)
    if refused == CAP_REACHED:
        end(session=session, reason=EndReason.SPENDING_CAP, now=now, active_until=until)
    elif session.reconnect_count >= MAX_RECONNECTS:
        end(session=session, reason=EndReason.TOO_MANY_RECONNECTS, now=now, active_until=until)
    elif session.grace_used_seconds >= RECONNECT_GRACE_SECONDS:
        end(session=session, reason=EndReason.GRACE_EXHAUSTED, now=now, active_until=until)
    else:
        session_transition(
            session=session, to_state=S.RECONNECTING, reason="connection_lost", now=now, active_until=until
        )


def grace_left_seconds(session: ReadingSession, now: datetime) -> float:
    used = session.grace_used_seconds
    if session.state == S.RECONNECTING and session.reconnecting_since_at is not None:
        used += seconds_between(session.reconnecting_since_at, now)
    return max(0.0, float(RECONNECT_GRACE_SECONDS - used))


def both_present(session: ReadingSession, now: datetime) -> bool:
    cutoff = now - SILENCE_TIMEOUT
    return all(
        beat is not None and beat >= cutoff for beat in (session.client_heartbeat_at, session.reader_heartbeat_at)
    )


def try_resume_reconnecting(*, session: ReadingSession, now: datetime) -> bool:
    """Reconnecting → active when both parties are back within the grace; → ended when the grace ran out."""
    if grace_left_seconds(session, now) <= 0:
        end(session=session, reason=EndReason.GRACE_EXHAUSTED, now=now)
        return False
    if not both_present(session, now):
        return False
    # The same minute count goes on: paid_until() keeps the unused part of the current paid minute.
    session_transition(session=session, to_state=S.ACTIVE, reason="reconnected", now=now)
    return True
