"""The billing tick (Celery beat, every 5 s): timeouts, presence, low balance, and the minutes due.

Safe on several workers at once and under retries: every row is taken with ``FOR UPDATE SKIP LOCKED`` and
re-checked, and every minute is posted under its key ``session:<id>:minute:<n>``, so a minute is charged
once whatever runs twice. The common case, minutes due on many readings, is set-based: one statement
selects and locks a batch of due readings, ``ledger_post_many`` posts all their charges with a handful of
statements (wallets and holds locked in primary-key order), one UPDATE advances them. Only the rare
readings that change state (pause, end, reconnect, resume, settle) are handled one by one.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime

import psycopg
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q

from apps.readings.clock import db_now
from apps.readings.constants import PAUSE_TIMEOUT, REQUEST_TIMEOUT, SESSION_SUBJECT, SILENCE_TIMEOUT, TICK_BATCH_SIZE
from apps.readings.enums import LIVE_STATES, Billing, EndReason, SessionState
from apps.readings.locks import sessions_lock_skip_locked
from apps.readings.models import ReadingSession
from apps.readings.services import flow
from apps.readings.services.billing import cap_allows_next_minute, minute_fact, minute_memo
from apps.readings.services.prepaid import prepaid_activate
from apps.readings.services.settlement import session_finalize, session_settlement_failed
from apps.readings.services.transitions import session_transition
from apps.wallet.enums import TransactionKind
from apps.wallet.services.holds import hold_fund_entry
from apps.wallet.services.ledger import BatchEntry, ledger_post_many

logger = logging.getLogger(__name__)
S = SessionState
# Each pass advances, pauses or ends every reading it takes, so the loop ends; this only bounds a bug.
MAX_PASSES = 100_000
FINALIZE_PER_TICK = 500


@dataclass
class TickResult:
    charged: int = 0
    paused: int = 0
    resumed: int = 0
    reconnecting: int = 0
    ended: int = 0
    finalized: int = 0
    started: int = 0  # prepaid readings whose two parties are both present
    errors: list[str] = field(default_factory=list)


def _scoped(qs, session_id: int | None):
    return qs if session_id is None else qs.filter(pk=session_id)


def _each_locked(ids: list[int], action) -> None:
    """Run ``action(session)`` on each reading in a transaction of its own, skipping rows another worker holds."""
    for pk in ids:
        with transaction.atomic(durable=True):
            for session in sessions_lock_skip_locked(session_ids=[pk]):
                action(session)


def session_bill_tick(
    *, session_id: int | None = None, now: datetime | None = None, batch_size: int = TICK_BATCH_SIZE
) -> TickResult:
    """One tick over every reading (or only ``session_id``) at the database's time. Returns counts of what it did."""
    now = now or db_now()
    result = TickResult()
    _expire_requests(now, session_id, result)
    _end_prepaid_over(now, session_id, result)
    _start_prepaid(now, session_id, result)
    _detect_silence(now, session_id, result)
    _check_reconnecting(now, session_id, result)
    _check_paused(now, session_id, result)
    for _ in range(MAX_PASSES):
        if not _bill_batch(now=now, session_id=session_id, batch_size=batch_size, result=result):
            break
    _finalize_ended(now, session_id, result)
    return result


def _expire_requests(now: datetime, session_id: int | None, result: TickResult) -> None:
    cutoff = now - REQUEST_TIMEOUT
    ids = list(
        _scoped(
            ReadingSession.objects.filter(state=S.WAITING, billing=Billing.PER_MINUTE, created_at__lte=cutoff),
            session_id,
        ).values_list("pk", flat=True)
    )

    def expire(session: ReadingSession) -> None:
        if session.state == S.WAITING and session.created_at <= cutoff:
            flow.end(session=session, reason=EndReason.REQUEST_TIMEOUT, now=now)
            result.ended += 1

    _each_locked(ids, expire)


def _end_prepaid_over(now: datetime, session_id: int | None, result: TickResult) -> None:
    """Prepaid readings end at their booked end, whatever their state (nothing to charge, nothing to wait for)."""
    qs = ReadingSession.objects.filter(billing=Billing.PREPAID, state__in=LIVE_STATES, prepaid_until_at__lte=now)
    ids = list(_scoped(qs, session_id).values_list("pk", flat=True))

    def over(session: ReadingSession) -> None:
        assert session.prepaid_until_at is not None
        if session.state in LIVE_STATES and session.prepaid_until_at <= now:
            flow.end(session=session, reason=EndReason.BOOKED_TIME_OVER, now=now)
            result.ended += 1

    _each_locked(ids, over)


def _start_prepaid(now: datetime, session_id: int | None, result: TickResult) -> None:
    """Prepaid readings waiting for their parties start once both are present (the heartbeat usually does it)."""
    cutoff = now - SILENCE_TIMEOUT
    qs = ReadingSession.objects.filter(
        billing=Billing.PREPAID,
        state=S.WAITING,
        client_heartbeat_at__gte=cutoff,
        reader_heartbeat_at__gte=cutoff,
        prepaid_until_at__gt=now,
    )
    ids = list(_scoped(qs, session_id).values_list("pk", flat=True))

    def start(session: ReadingSession) -> None:
        if prepaid_activate(session=session, now=now):
            result.started += 1

    _each_locked(ids, start)


def _silent_q(cutoff: datetime) -> Q:
    return (
        Q(client_heartbeat_at__isnull=True)
        | Q(reader_heartbeat_at__isnull=True)
        | Q(client_heartbeat_at__lt=cutoff)
        | Q(reader_heartbeat_at__lt=cutoff)
    )


def _detect_silence(now: datetime, session_id: int | None, result: TickResult) -> None:
    cutoff = now - SILENCE_TIMEOUT
    qs = ReadingSession.objects.filter(_silent_q(cutoff), state=S.ACTIVE)
    ids = list(_scoped(qs, session_id).values_list("pk", flat=True))

    def lost(session: ReadingSession) -> None:
        if session.state != S.ACTIVE:
            return
        beats = (session.client_heartbeat_at, session.reader_heartbeat_at)
        if all(b is not None and b >= cutoff for b in beats):
            return
        # Active time stops at the silent side's last heartbeat (the earlier of the two).
        until = min(b or session.active_since_at for b in beats)
        flow.disconnect(session=session, now=now, until=until)
        if session.state == S.RECONNECTING:
            result.reconnecting += 1
        else:
            result.ended += 1

    _each_locked(ids, lost)


def _check_reconnecting(now: datetime, session_id: int | None, result: TickResult) -> None:
    ids = list(_scoped(ReadingSession.objects.filter(state=S.RECONNECTING), session_id).values_list("pk", flat=True))

    def check(session: ReadingSession) -> None:
        if session.state != S.RECONNECTING:
            return
        if flow.try_resume_reconnecting(session=session, now=now):
            result.resumed += 1
        elif session.state == S.ENDED:
            result.ended += 1

    _each_locked(ids, check)


def _check_paused(now: datetime, session_id: int | None, result: TickResult) -> None:
    """Paused too long → ended; a wallet that now holds a minute (the credit landed) → active again."""
    expired = now - PAUSE_TIMEOUT
    qs = ReadingSession.objects.filter(state=S.PAUSED).filter(
        Q(pause_started_at__lte=expired) | Q(wallet_account__balance__gte=F("rate_amount"))
    )
    ids = list(_scoped(qs, session_id).values_list("pk", flat=True))

    def check(session: ReadingSession) -> None:
        if session.state != S.PAUSED:
            return
        if session.pause_started_at is not None and session.pause_started_at <= expired:
            flow.end(session=session, reason=EndReason.LOW_BALANCE_TIMEOUT, now=now)
            result.ended += 1
            return
        wallet = session.wallet_account
        if wallet is not None and not wallet.is_frozen and wallet.balance >= session.rate_amount:
            if cap_allows_next_minute(session):
                # The next minute starts now; it is charged as soon as both parties are seen in it.
                session_transition(session=session, to_state=S.ACTIVE, reason="funds_added", now=now)
                result.resumed += 1
            else:
                flow.end(session=session, reason=EndReason.SPENDING_CAP, now=now)
                result.ended += 1

    _each_locked(ids, check)


DUE_SQL = """
SELECT s.id, s.client_id, s.rate_amount, s.minutes_billed, s.charged_amount, s.spending_cap_amount,
       s.wallet_account_id, s.hold_account_id
FROM livesessions_readingsession s
WHERE s.state = 'active' AND s.billing = 'per_minute' AND s.billed_until_at < %s
  AND s.client_heartbeat_at > s.billed_until_at AND s.reader_heartbeat_at > s.billed_until_at
  {scope}
ORDER BY s.id
LIMIT %s
FOR UPDATE OF s SKIP LOCKED
"""

ADVANCE_SQL = """
UPDATE livesessions_readingsession AS s
SET minutes_billed = s.minutes_billed + 1,
    charged_amount = s.charged_amount + s.rate_amount,
    billed_until_at = s.billed_until_at + interval '60 seconds'
FROM unnest(%b::bigint[], %b::integer[]) AS d(id, minutes)
WHERE s.id = d.id AND s.minutes_billed = d.minutes AND s.state = 'active'
RETURNING s.billed_until_at < LEAST(%b::timestamptz, s.client_heartbeat_at, s.reader_heartbeat_at)
"""


def _bill_batch(*, now: datetime, session_id: int | None, batch_size: int, result: TickResult) -> int:
    """Charge the next minute of up to ``batch_size`` due readings in one transaction. Returns how many were due."""
    with transaction.atomic(durable=True):
        scope, params = ("AND s.id = %s", [now, session_id, batch_size]) if session_id else ("", [now, batch_size])
        with connection.cursor() as cursor:
            # Large batches get big cost estimates, and JIT compiling them costs far more (over a second
            # for 10,000 readings) than it could save on these index-driven statements.
            cursor.execute("SET LOCAL jit = off")
            cursor.execute(DUE_SQL.format(scope=scope), params)
            rows = cursor.fetchall()
        if not rows:
            return 0
        entries: list[BatchEntry] = []
        expected: dict[str, tuple[int, int]] = {}
        one_by_one: list[int] = []
        for pk, client_id, rate, minutes, charged, cap, wallet_id, hold_id in rows:
            if cap is not None and charged + rate > cap:
                one_by_one.append(pk)
                continue
            entry = hold_fund_entry(
                subject_type=SESSION_SUBJECT,
                subject_id=pk,
                payer_id=client_id,
                wallet_account_id=wallet_id,
                hold_account_id=hold_id,
                amount=rate,
                fact=minute_fact(minutes + 1),
                memo=minute_memo(pk, minutes + 1),
                session_id=pk,
            )
            expected[entry.idempotency_key] = (pk, minutes)
            entries.append(entry)
        posted = ledger_post_many(kind=TransactionKind.SESSION_CHARGE, entries=entries)
        advanced = [expected[key] for key in posted.posted]
        still_due: list[bool] = []
        if advanced:
            # Binary parameters on the same connection: thousands of ids are not quoted into the text.
            with psycopg.Cursor(connection.connection) as cursor:
                cursor.execute(ADVANCE_SQL, [[pk for pk, _ in advanced], [m for _, m in advanced], now])
                still_due = [row[0] for row in cursor.fetchall()]
                if len(still_due) != len(advanced):
                    raise RuntimeError("A due reading changed under its row lock; the batch is rolled back.")
        result.charged += len(advanced)
        one_by_one += [expected[key][0] for key in posted.refused]
        for session in ReadingSession.objects.filter(pk__in=one_by_one).order_by("pk"):
            refused = flow.settle_active(session=session, now=now)
            if refused == "insufficient_funds":
                result.paused += 1
            elif refused:
                result.ended += 1
        # Another pass only if this one was full or a reading has yet another minute due (ticks were missed).
        return len(rows) if len(rows) >= batch_size or any(still_due) else 0


def _finalize_ended(now: datetime, session_id: int | None, result: TickResult) -> None:
    """Settle ended readings, least-tried first: one that keeps failing sinks behind the others."""
    qs = _scoped(ReadingSession.objects.filter(state=S.ENDED), session_id).order_by("settlement_attempts", "pk")
    for pk in list(qs.values_list("pk", flat=True)[:FINALIZE_PER_TICK]):
        try:
            session_finalize(session_id=pk, now=now)
            result.finalized += 1
        except (OperationalError, InterfaceError):
            raise  # the database itself is in trouble: the task retries the whole tick
        except Exception as error:  # this reading's own problem (HoldNotSettled, a bug): record it, go on
            logger.warning("reading %s could not be settled: %s", pk, error, exc_info=True)
            session_settlement_failed(session_id=pk, error=f"{type(error).__name__}: {error}")
            result.errors.append(f"{pk}: {error}")
