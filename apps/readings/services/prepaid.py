"""Prepaid readings: the room of a reading another app has already been paid for (a booked, flat-price reading).

The same room, presence and heartbeat rules as a pay-per-minute reading, without the minutes:

- ``reading_open_prepaid`` (inner helper) opens the reading of a subject in ``waiting`` (awaiting both sides), or
  returns the live one: one live reading per subject (``livesession_one_live_per_prepaid_subject``). No hold of
  its own, nothing charged.
- It becomes ``active`` when both parties are present (their heartbeats, ``prepaid_activate``: the heartbeat
  service and the tick call it); presence works as usual from then on (reconnecting, grace).
- It is never ticked for minutes nor paused for funds; the tick ends it at ``prepaid_until_at`` (the booked end,
  reason ``booked_time_over``); its media tokens end there too (``access.py``).
- Finalizing it settles nothing of its own: the subject's app is called back (``apps.readings.prepaid``).
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from apps.core.services import audit_log_record
from apps.readers.services import reader_presence_set_busy
from apps.readings.clock import db_now
from apps.readings.enums import ENGAGED_STATES, LIVE_STATES, Billing, EndReason, SessionState
from apps.readings.exceptions import ClientAlreadyInReading, ReaderAlreadyInReading, SessionRefused
from apps.readings.locks import participants_lock, session_lock
from apps.readings.models import ReadingSession
from apps.readings.prepaid import prepaid_subject_get
from apps.readings.services import flow
from apps.readings.services.transitions import session_transition
from apps.rtc.channels import channel_name_for

S = SessionState

CLIENT_BUSY_MESSAGE = "You are in another reading right now. End it, then join your booked reading."
READER_BUSY_MESSAGE = "You are in another reading right now. End it, then join this booked reading."


class CounterpartInAnotherReading(SessionRefused):
    """The other party is in an on-demand reading right now, so the booked reading's room cannot open yet."""

    default_message = "The other party is finishing another reading. Try joining again in a minute."


def _live_for_subject(subject_type: str, subject_id: int) -> ReadingSession | None:
    return ReadingSession.objects.filter(
        billing=Billing.PREPAID,
        prepaid_subject_type=subject_type,
        prepaid_subject_id=subject_id,
        state__in=LIVE_STATES,
    ).first()


def reading_open_prepaid(
    *,
    client: Any,
    reader: Any,
    modality: str,
    ends_at: datetime,
    subject_type: str,
    subject_id: int,
    amount: Decimal,
    rate_amount: Decimal,
    reader_rate: Decimal,
    joining: Any,
    intake_note: str = "",
    now: datetime | None = None,
) -> ReadingSession:
    """The live reading of a prepaid subject, opened now in ``waiting`` if it has none (idempotent per subject).

    ``joining`` is the party arriving (the client or the reader). Refused, nothing written: the client is in
    another live reading (``ClientAlreadyInReading``), or the reader is in another reading in progress
    (``ReaderAlreadyInReading``), with a message for them; the reader arriving while the client is in an
    on-demand reading gets ``CounterpartInAnotherReading`` (the client's one-live-reading rule). The joining
    party's heartbeat is recorded; ``intake_note`` is the client's note for the reader. ``amount`` is the price
    paid in advance (shown in the room and the summary), ``rate_amount`` and ``reader_rate`` the snapshots it
    was priced with.

    Inner helper: the caller holds the transaction (it takes the participants' advisory locks, then inserts).
    """
    prepaid_subject_get(subject_type)
    now = now or db_now()
    if ends_at <= now:
        raise SessionRefused("The booked time is over.")
    participants_lock(user_ids=[client.pk, reader.pk])
    session = _live_for_subject(subject_type, subject_id)
    others = ReadingSession.objects.exclude(pk=getattr(session, "pk", None))
    if joining.pk == client.pk and others.filter(client=client, state__in=LIVE_STATES).exists():
        raise ClientAlreadyInReading(CLIENT_BUSY_MESSAGE)
    if joining.pk == reader.pk and others.filter(reader=reader, state__in=ENGAGED_STATES).exists():
        raise ReaderAlreadyInReading(READER_BUSY_MESSAGE)
    beat = "client_heartbeat_at" if joining.pk == client.pk else "reader_heartbeat_at"
    if session is not None:
        return session
    try:
        with transaction.atomic():
            session = ReadingSession.objects.create(
                client=client,
                reader=reader,
                modality=modality,
                rate_amount=rate_amount,
                reader_rate=reader_rate,
                billing=Billing.PREPAID,
                prepaid_subject_type=subject_type,
                prepaid_subject_id=subject_id,
                prepaid_until_at=ends_at,
                prepaid_amount=amount,
                intake_note=(intake_note or "").strip()[:1000],
                created_at=now,
                **{beat: now},
            )
            session_transition(session=session, to_state=S.WAITING, reason="booked", now=now, actor=joining)
    except IntegrityError as error:
        constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None)
        if constraint == "livesession_one_live_per_client":
            raise CounterpartInAnotherReading()
        raise
    session.channel_name = channel_name_for("session", session.pk)
    session.save(update_fields=["channel_name"])
    return session


def prepaid_activate(*, session: ReadingSession, now: datetime) -> bool:
    """Waiting → active for a prepaid reading whose two parties are both present, before its booked end.

    Returns whether it started. A reader who is in another reading in progress (or a client in another live
    reading) keeps it waiting: the one-live-reading constraints refuse, in a savepoint, and nothing changes.
    Inner helper: the caller holds the transaction and the reading's row lock, and re-checked its state.
    """
    if not session.is_prepaid or session.state != S.WAITING or not flow.both_present(session, now):
        return False
    assert session.prepaid_until_at is not None
    if session.prepaid_until_at <= now:
        return False
    try:
        with transaction.atomic():
            session_transition(session=session, to_state=S.ACTIVE, reason="both_joined", now=now)
    except IntegrityError:
        session.refresh_from_db()
        return False
    reader_presence_set_busy(reader_user_id=session.reader_id, busy=True)
    audit_log_record(
        actor=None,
        action="livesessions.session_started",
        target=session,
        details={
            "client_id": session.client_id,
            "billing": str(Billing.PREPAID),
            "subject": f"{session.prepaid_subject_type}:{session.prepaid_subject_id}",
            "modality": session.modality,
        },
    )
    return True


@transaction.atomic(durable=True)
def reading_prepaid_end(
    *, subject_type: str, subject_id: int, reason: Any = EndReason.NO_SHOW, now: datetime | None = None
) -> ReadingSession | None:
    """End the live reading of a prepaid subject (its app decided it is over: a missed booking). Returns it, or
    None when there is none. Its finalization then calls the subject's app back, which finds it settled."""
    now = now or db_now()
    found = _live_for_subject(subject_type, subject_id)
    if found is None:
        return None
    session = session_lock(session_id=found.pk)
    if session.state not in LIVE_STATES:
        return session
    flow.end(session=session, reason=reason, now=now)
    return session
