"""Public write services of a reading: request, accept, decline, cancel, heartbeat, disconnect, end.

Each is one durable transaction; every one that changes the state locks the reading first
(``locks.session_lock``) and re-checks it. ``now`` may be passed (tests drive a clock); it defaults to the
database's time (``clock.db_now``), the one clock of readings. Errors are ``DomainError`` subclasses with
a message fit for the user.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, Greatest, Least, Now

from apps.core.permissions import has_verified_email
from apps.core.services import audit_log_record
from apps.moderation.guards import write_guard
from apps.notifications.services import notify
from apps.readers.enums import Presence
from apps.readers.selectors import available_modalities, rate_field, reader_listed_list
from apps.readers.services import reader_presence_heartbeat, reader_presence_set_busy
from apps.readings.clock import db_now
from apps.readings.constants import REQUEST_TIMEOUT, SESSION_SUBJECT
from apps.readings.enums import ENGAGED_STATES, LIVE_STATES, Billing, EndReason, Modality, SessionState
from apps.readings.exceptions import (
    ClientAlreadyInReading,
    InvalidTransition,
    ReaderAlreadyInReading,
    SessionNotFound,
    SessionRefused,
)
from apps.readings.locks import participants_lock, session_lock, sessions_lock_skip_locked
from apps.readings.models import ReadingSession
from apps.readings.services import flow
from apps.readings.services.billing import charge_next_minute
from apps.readings.services.prepaid import prepaid_activate
from apps.readings.services.transitions import session_transition
from apps.rtc.channels import channel_name_for
from apps.wallet.services.ledger import hold_account, money, wallet_account
from apps.wallet.services.shares import reader_rate

S = SessionState


def _now(now: datetime | None) -> datetime:
    return now or db_now()


def _one_live_reading_refusal(error: IntegrityError, *, accepting: bool = False) -> SessionRefused:
    """The refusal a broken one-live-reading constraint stands for; any other IntegrityError is re-raised."""
    constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None)
    if constraint == "livesession_one_live_per_client":
        return ClientAlreadyInReading()
    if constraint == "livesession_one_live_per_reader":
        return ReaderAlreadyInReading(ReaderAlreadyInReading.accept_message if accepting else None)
    raise error


def _locked_for_party(*, user: Any, session_id: int) -> tuple[ReadingSession, str]:
    try:
        session = session_lock(session_id=session_id)
    except ReadingSession.DoesNotExist:
        raise SessionNotFound()
    if user is None or user.pk not in (session.client_id, session.reader_id):
        raise SessionNotFound()
    return session, ("client" if user.pk == session.client_id else "reader")


@transaction.atomic(durable=True)
def session_request(
    *,
    client: Any,
    reader: Any,
    modality: str,
    intake_note: str = "",
    spending_cap: Decimal | str | None = None,
    now: datetime | None = None,
) -> ReadingSession:
    """A client asks ``reader`` (a User) for a pay-per-minute reading; the reader has 60 s to accept.

    Refused (``SessionRefused``, nothing written) when the client's email is unverified, the reader is not
    listed, offline or busy, the modality is not offered by the reader or not available on this server
    (voice and video need Agora), the wallet holds less than one minute at the reader's rate, the spending
    limit is below one minute, the client is in a reading or waiting for one already (``ClientAlreadyInReading``),
    or the reader is in a reading (``ReaderAlreadyInReading``); both are re-checked under ``participants_lock``
    (the client's and the reader's), so concurrent requests and accepts see each other. The rate and the
    reader's share are copied onto the reading now. The reader is notified.
    """
    if not getattr(client, "is_authenticated", False) or not client.is_active:
        raise SessionRefused("Sign in to request a reading.")
    write_guard(client)
    if client.pk == getattr(reader, "pk", None):
        raise SessionRefused("You cannot request a reading from yourself.")
    if not has_verified_email(client):
        raise SessionRefused("Verify your email address before starting a reading.")
    if modality not in Modality.values:
        raise SessionRefused("Choose chat, voice or video.")
    if modality not in available_modalities():
        raise SessionRefused("Voice and video readings need Agora to be configured on this server; chat is available.")
    profile = reader_listed_list().filter(user_id=getattr(reader, "pk", None)).first()
    if profile is None:
        raise SessionRefused("This reader is not available for readings.")
    if profile.current_presence == Presence.BUSY:
        raise ReaderAlreadyInReading()
    if profile.current_presence != Presence.ONLINE:
        raise SessionRefused("This reader is offline right now.")
    rate = getattr(profile, rate_field(modality))
    if rate is None:
        raise SessionRefused(f"This reader does not offer {Modality(modality).label.lower()} readings.")
    cap = None
    if spending_cap not in (None, ""):
        try:
            cap = money(spending_cap)  # type: ignore[arg-type]
        except ValueError:
            raise SessionRefused("Enter the spending limit in dollars and cents.")
        if cap < rate:
            raise SessionRefused(f"The spending limit must cover at least one minute (${rate}).")
    wallet = wallet_account(client)
    if wallet.is_frozen:
        raise SessionRefused("Your wallet is frozen while a payment dispute is open.")
    if wallet.balance < rate:
        raise SessionRefused(f"Your wallet must hold at least one minute (${rate}) to start. Please add funds.")
    # The reader's lock too: a request and the reader's accept of another one never cross unseen.
    participants_lock(user_ids=[client.pk, reader.pk])
    now = _now(now)  # read after the lock: a request that waited for it starts when it gets it
    if ReadingSession.objects.filter(client=client, state__in=LIVE_STATES).exists():
        raise ClientAlreadyInReading()
    if ReadingSession.objects.filter(reader=reader, state__in=ENGAGED_STATES).exists():
        raise ReaderAlreadyInReading()
    try:
        with transaction.atomic():
            session = ReadingSession.objects.create(
                client=client,
                reader=reader,
                modality=modality,
                rate_amount=rate,
                reader_rate=reader_rate(reader),
                spending_cap_amount=cap,
                intake_note=(intake_note or "").strip()[:1000],
                created_at=now,
            )
            session_transition(session=session, to_state=S.WAITING, reason="requested", now=now, actor=client)
    except IntegrityError as error:
        # The partial unique constraints, should anything get past the lock.
        raise _one_live_reading_refusal(error)
    session.channel_name = channel_name_for("session", session.pk)
    session.save(update_fields=["channel_name"])
    notify(
        user=reader,
        kind=flow.NOTIFY_KIND_REQUEST,
        title=f"New {Modality(modality).label.lower()} reading request",
        body=session.intake_note[:200],
        url=flow.session_url(session),
    )
    return session


@transaction.atomic(durable=True)
def session_accept(*, reader: Any, session_id: int, now: datetime | None = None) -> ReadingSession:
    """The reader accepts a waiting request: minute 1 is charged into ``hold:session:<id>`` and the reading
    becomes active; the reader shows as busy, and the other clients waiting for them are told the reader
    started another reading. If the wallet can no longer pay the first minute the request ends unbilled
    (state ``ended``, reason ``insufficient_funds``) and the reading is returned as such.

    A reader already in a reading is refused (``ReaderAlreadyInReading``): a reader's accepts are serialised
    by ``participants_lock`` and re-checked, and the partial unique constraint is the last line of defence.
    """
    if getattr(reader, "pk", None) is None:
        raise SessionNotFound()
    participants_lock(user_ids=[reader.pk])
    now = _now(now)
    session, role = _locked_for_party(user=reader, session_id=session_id)
    if role != "reader":
        raise SessionNotFound()
    write_guard(reader)
    if session.is_prepaid:
        raise InvalidTransition("A booked reading starts by itself when both of you have joined.")
    engaged = ReadingSession.objects.filter(reader_id=session.reader_id, state__in=ENGAGED_STATES)
    if engaged.exclude(pk=session.pk).exists():
        # Checked first: the reading they just went into has ended the other requests, and this says why.
        raise ReaderAlreadyInReading(ReaderAlreadyInReading.accept_message)
    if session.state != S.WAITING:
        raise InvalidTransition("This request is no longer waiting for you.")
    if now - session.created_at > REQUEST_TIMEOUT:
        raise InvalidTransition("This request has expired.")
    session.wallet_account = wallet_account(session.client)
    session.hold_account = hold_account(SESSION_SUBJECT, session.pk)
    session.save(update_fields=["wallet_account", "hold_account"])
    if charge_next_minute(session=session) is not None:
        flow.end(session=session, reason=EndReason.INSUFFICIENT_FUNDS, now=now, actor=reader)
        return session
    session.client_heartbeat_at = session.reader_heartbeat_at = now
    session.save(update_fields=["client_heartbeat_at", "reader_heartbeat_at"])
    try:
        session_transition(session=session, to_state=S.ACTIVE, reason="accepted", now=now, actor=reader)
    except IntegrityError as error:
        raise _one_live_reading_refusal(error, accepting=True)
    reader_presence_set_busy(reader_user_id=session.reader_id, busy=True)
    _end_other_requests(session=session, now=now, actor=reader)
    audit_log_record(
        actor=reader,
        action="livesessions.session_started",
        target=session,
        details={"client_id": session.client_id, "rate": f"{session.rate_amount:.2f}", "modality": session.modality},
    )
    notify(
        user=session.client,
        kind=flow.NOTIFY_KIND_UPDATE,
        title="Your reading has started",
        body="The reader accepted your request.",
        url=flow.session_url(session),
    )
    return session


def _end_other_requests(*, session: ReadingSession, now: datetime, actor: Any) -> None:
    """The reader of ``session`` just went into it: the other requests waiting for them end unbilled and their
    clients are told at once. A request someone else holds right now (being withdrawn) is left to them or to
    the tick's request timeout. Inner helper of ``session_accept``."""
    # A booked (prepaid) reading waiting for its parties is not a request: it stays, and starts when the reader
    # is free and both are present.
    waiting = ReadingSession.objects.filter(
        reader_id=session.reader_id, state=S.WAITING, billing=Billing.PER_MINUTE
    ).exclude(pk=session.pk)
    for other in sessions_lock_skip_locked(session_ids=waiting.values_list("pk", flat=True)):
        if other.state == S.WAITING:
            flow.end(session=other, reason=EndReason.READER_BUSY, now=now, actor=actor)


@transaction.atomic(durable=True)
def session_decline(*, reader: Any, session_id: int, now: datetime | None = None) -> ReadingSession:
    """The reader declines a waiting request: it ends unbilled and the client is told."""
    now = _now(now)
    session, role = _locked_for_party(user=reader, session_id=session_id)
    if role != "reader":
        raise SessionNotFound()
    if session.state != S.WAITING or session.is_prepaid:
        raise InvalidTransition("This request is no longer waiting for you.")
    flow.end(session=session, reason=EndReason.DECLINED, now=now, actor=reader)
    return session


@transaction.atomic(durable=True)
def session_end(*, actor: Any, session_id: int, reason: str = "", now: datetime | None = None) -> ReadingSession:
    """Either party ends the reading (the client may also withdraw a waiting request). Ending twice is
    harmless. The started minute stays paid; settlement follows at once (``session_finalize``, on commit).
    ``reason`` is free text kept on the event; the end reason says who ended it."""
    now = _now(now)
    session, role = _locked_for_party(user=actor, session_id=session_id)
    if session.state in (S.ENDED, S.FINALIZED):
        return session
    if session.state == S.WAITING and not session.is_prepaid:
        end_reason = EndReason.CANCELLED if role == "client" else EndReason.DECLINED
    else:
        end_reason = EndReason.CLIENT_ENDED if role == "client" else EndReason.READER_ENDED
    flow.end(session=session, reason=end_reason, now=now, actor=actor, note=(reason or "").strip())
    return session


def _side_field(session_values: dict[str, Any], user: Any) -> str:
    return "client_heartbeat_at" if user.pk == session_values["client_id"] else "reader_heartbeat_at"


def session_heartbeat(*, user: Any, session_id: int, at: datetime | None = None, now: datetime | None = None) -> str:
    """One party says "still here" (every 10 s from the room; room connection events and NCS joins too).

    Records the heartbeat with one conditional UPDATE (never moving it backwards, never into the future),
    stamped by the database's clock (``clock``), which the tick reads too; a reconnecting reading whose
    parties are both back resumes at once with the same minute count. Returns the reading's state.
    ``SessionNotFound`` for anyone but the two parties.
    """
    row = (
        ReadingSession.objects.filter(pk=session_id)
        .filter(Q(client=user) | Q(reader=user))
        .values("client_id", "reader_id", "state", "billing")
        .first()
        if getattr(user, "is_authenticated", False)
        else None
    )
    if row is None:
        raise SessionNotFound()
    field = _side_field(row, user)
    clock: Any = Now() if now is None else Value(now)
    stamp = clock if at is None else Least(Value(at), clock)
    updated = ReadingSession.objects.filter(pk=session_id, state__in=LIVE_STATES).update(
        **{field: Greatest(Coalesce(F(field), stamp), stamp)}
    )
    if updated and field == "reader_heartbeat_at":
        # The room keeps the reader's own status fresh too, so it is still "busy" (then "online") afterwards.
        reader_presence_heartbeat(actor=user)
    if row["state"] == S.WAITING and row["billing"] == Billing.PREPAID:
        # A booked reading starts as soon as both parties are in the room.
        with transaction.atomic(durable=True):
            session = session_lock(session_id=session_id)
            prepaid_activate(session=session, now=_now(now))
            return session.state
    if row["state"] != S.RECONNECTING:
        return row["state"]
    with transaction.atomic(durable=True):
        session = session_lock(session_id=session_id)
        if session.state == S.RECONNECTING:
            flow.try_resume_reconnecting(session=session, now=_now(now))
        return session.state


@transaction.atomic(durable=True)
def session_disconnect(*, user: Any, session_id: int, at: datetime | None = None, now: datetime | None = None) -> str:
    """A party left the room (the room's connection events, an NCS leave): no need to wait 30 s of silence.

    From ``active`` the reading goes to ``reconnecting`` at once, its active time stopping at ``at`` (or the
    party's last heartbeat, if earlier). Other states are unchanged. Returns the state.
    """
    now = _now(now)
    at = min(at or now, now)
    session, role = _locked_for_party(user=user, session_id=session_id)
    if session.state != S.ACTIVE:
        return session.state
    field = f"{role}_heartbeat_at"
    last = getattr(session, field)
    until = min(at, last) if last is not None else at
    other = session.reader_heartbeat_at if role == "client" else session.client_heartbeat_at
    if other is not None:
        until = min(until, other)
    flow.disconnect(session=session, now=now, until=until)
    if session.state == S.RECONNECTING:
        # The party is gone until their next heartbeat: a recent one must not count as being back.
        setattr(session, field, None)
        session.save(update_fields=[field])
    return session.state
