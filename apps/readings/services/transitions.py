"""The state machine of a reading: ONE function moves a reading from one state to another (SPEC §4).

    created → waiting → active ⇄ paused, active ⇄ reconnecting → ended → finalized
    waiting → ended (declined, cancelled, no answer in 60 s); paused/reconnecting → ended (timeouts)

``session_transition`` checks the allowed-transition table, keeps the time accounting that goes with
leaving and entering a state, saves the reading and records a ``SessionEvent``. It never moves money:
callers charge minutes (``billing``) before they leave ``active``.
"""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection

from apps.readings.access import session_media_stop
from apps.readings.constants import MINUTE_SECONDS
from apps.readings.enums import EndReason, SessionState
from apps.readings.exceptions import InvalidTransition
from apps.readings.models import ReadingSession, SessionEvent

S = SessionState
# Keys and members are SessionState members (TextChoices, typed Any for mypy without the Django plugin).
ALLOWED_TRANSITIONS: dict[Any, frozenset[Any]] = {
    S.CREATED: frozenset({S.WAITING}),
    S.WAITING: frozenset({S.ACTIVE, S.ENDED}),
    S.ACTIVE: frozenset({S.PAUSED, S.RECONNECTING, S.ENDED}),
    S.PAUSED: frozenset({S.ACTIVE, S.ENDED}),
    S.RECONNECTING: frozenset({S.ACTIVE, S.ENDED}),
    S.ENDED: frozenset({S.FINALIZED}),
    S.FINALIZED: frozenset(),
}
MICRO = Decimal("0.000001")


def seconds_between(start: datetime, end: datetime) -> Decimal:
    """``end - start`` in seconds, exact to the microsecond (never negative)."""
    micros = max(0, (end - start) // timedelta(microseconds=1))
    return (Decimal(micros) / Decimal(1_000_000)).quantize(MICRO)


def as_timedelta(seconds: Decimal) -> timedelta:
    return timedelta(microseconds=int(seconds * 1_000_000))


def confirmed_until(session: ReadingSession, now: datetime) -> datetime:
    """How far the current active period is proven: the earlier of both parties' last heartbeats (or now).

    Time after a party's last heartbeat is not known to be active yet; it becomes so with their next one.
    """
    assert session.active_since_at is not None
    start = session.active_since_at
    candidates = [now, session.client_heartbeat_at or start, session.reader_heartbeat_at or start]
    return max(start, min(candidates))


def paid_until(session: ReadingSession) -> datetime:
    """When the minutes already paid run out, if the current active period goes on. A prepaid reading is paid
    until its booked end."""
    if session.is_prepaid:
        assert session.prepaid_until_at is not None
        return session.prepaid_until_at
    assert session.active_since_at is not None
    return session.active_since_at + as_timedelta(session.minutes_billed * MINUTE_SECONDS - session.active_seconds)


def session_transition(
    *,
    session: ReadingSession,
    to_state: Any,
    reason: Any,
    now: datetime,
    actor: Any = None,
    active_until: datetime | None = None,
    note: str = "",
) -> SessionEvent:
    """Move ``session`` to ``to_state`` and record the event. Raises ``InvalidTransition`` with nothing written.

    ``reason`` says why (for ``ended``: an ``EndReason``, kept on the reading); ``note`` is optional free
    text added to the event. Leaving ``active`` banks the active time up to ``active_until`` (default: what
    both heartbeats confirm), never beyond the time already paid for: a minute that could not be charged is
    never active time.

    Inner helper: the caller holds the transaction and locked the row with ``locks.session_lock`` (or took
    it with SKIP LOCKED in the tick) and re-checked the state after locking.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("session_transition runs inside the caller's transaction.")
    from_state = session.state
    if to_state not in ALLOWED_TRANSITIONS.get(from_state, frozenset()):
        raise InvalidTransition(f"A reading cannot go from {from_state} to {to_state}.")
    fields = {"state"}

    if from_state == S.ACTIVE:
        assert session.active_since_at is not None
        until = active_until if active_until is not None else confirmed_until(session, now)
        until = max(session.active_since_at, min(until, paid_until(session)))
        session.active_seconds += seconds_between(session.active_since_at, until)
        session.active_since_at = None
        session.billed_until_at = None
        fields |= {"active_seconds", "active_since_at", "billed_until_at"}
    elif from_state == S.PAUSED and session.pause_started_at is not None:
        session.paused_seconds += seconds_between(session.pause_started_at, now)
        session.pause_started_at = None
        fields |= {"paused_seconds", "pause_started_at"}
    elif from_state == S.RECONNECTING and session.reconnecting_since_at is not None:
        session.grace_used_seconds += seconds_between(session.reconnecting_since_at, now)
        session.reconnecting_since_at = None
        fields |= {"grace_used_seconds", "reconnecting_since_at"}

    if to_state == S.ACTIVE:
        if from_state == S.WAITING:
            session.accepted_at = now
            fields.add("accepted_at")
        session.active_since_at = now
        session.billed_until_at = paid_until(session)
        fields |= {"active_since_at", "billed_until_at"}
    elif to_state == S.PAUSED:
        session.pause_started_at = now
        session.pause_count += 1
        fields |= {"pause_started_at", "pause_count"}
    elif to_state == S.RECONNECTING:
        session.reconnecting_since_at = now
        session.reconnect_count += 1
        fields |= {"reconnecting_since_at", "reconnect_count"}
    elif to_state == S.ENDED:
        session.ended_at = now
        session.end_reason = reason if reason in EndReason.values else ""
        fields |= {"ended_at", "end_reason"}
    elif to_state == S.FINALIZED:
        session.finalized_at = now
        fields.add("finalized_at")

    session.state = to_state
    session.save(update_fields=sorted(fields))
    event = SessionEvent.objects.create(
        session=session,
        from_state=from_state,
        to_state=to_state,
        reason=(f"{reason}: {note}" if note else str(reason))[:64],
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        at=now,
        active_seconds=session.active_seconds,
        minutes_billed=session.minutes_billed,
    )
    # Media stops with billing: a paused or ended voice/video reading removes both parties from its channel.
    session_media_stop(session=session, event=event)
    return event
