"""Prepaid minutes (SPEC §4): charging one minute of one reading from the client's wallet into its hold.

Rule: minute 1 is charged on activation; minute n+1 is charged once the reading's active time passes n×60
seconds. Active time is the time both parties are proven present (see ``transitions.confirmed_until``), so
in practice minute n+1 is charged at the first heartbeat after its start. If the wallet cannot pay it (or the
client's spending limit would be passed), the reading leaves ``active`` *at the minute boundary*: the seconds
after it are never counted as active time, so no active second is ever unpaid.

Unused prepaid time: the client pays for every minute that has started (the minute in progress when a
reading ends is not refunded). That is the rule, and it is what ``ledger_check`` verifies:
minutes billed = max(1, ceil(active seconds / 60)) for every reading that became active.

Every charge has the key ``session:<id>:minute:<n>``; the per-reading path here and the set-based tick
(``tick.py``) write identical transactions, so whichever runs first wins and the other replays.
"""

from datetime import datetime
from decimal import Decimal

from apps.readings.constants import MINUTE_SECONDS, SESSION_SUBJECT
from apps.readings.models import ReadingSession
from apps.readings.services.transitions import as_timedelta, confirmed_until
from apps.wallet.enums import TransactionKind
from apps.wallet.exceptions import AccountFrozen, InsufficientFunds
from apps.wallet.services.holds import hold_fund, hold_key

CAP_REACHED = "spending_cap"
NO_FUNDS = "insufficient_funds"
MAX_MINUTES_PER_CALL = 1000


def minute_fact(minute: int) -> str:
    return f"minute:{minute}"


def minute_key(session_id: int, minute: int) -> str:
    return hold_key(SESSION_SUBJECT, session_id, minute_fact(minute))


def minute_memo(session_id: int, minute: int) -> str:
    return f"Reading #{session_id}, minute {minute}"


def cap_allows_next_minute(session: ReadingSession) -> bool:
    cap = session.spending_cap_amount
    return cap is None or session.charged_amount + session.rate_amount <= cap


def charge_next_minute(*, session: ReadingSession) -> str | None:
    """Charge the next minute of ``session``; None when paid, else why not (``CAP_REACHED`` or ``NO_FUNDS``).

    Inner helper: the caller holds the transaction and the reading's row lock; nothing is written on refusal.
    """
    if session.is_prepaid:
        raise RuntimeError(f"Reading #{session.pk} is prepaid: it is never charged by the minute.")
    if not cap_allows_next_minute(session):
        return CAP_REACHED
    minute = session.minutes_billed + 1
    try:
        hold_fund(
            subject_type=SESSION_SUBJECT,
            subject_id=session.pk,
            payer=session.client,
            amount=session.rate_amount,
            kind=TransactionKind.SESSION_CHARGE,
            fact=minute_fact(minute),
            memo=minute_memo(session.pk, minute),
            session_id=session.pk,
        )
    except (InsufficientFunds, AccountFrozen):
        return NO_FUNDS
    session.minutes_billed = minute
    session.charged_amount += session.rate_amount
    fields = ["minutes_billed", "charged_amount"]
    if session.billed_until_at is not None:
        session.billed_until_at += as_timedelta(Decimal(MINUTE_SECONDS))
        fields.append("billed_until_at")
    session.save(update_fields=fields)
    return None


def accrue(*, session: ReadingSession, now: datetime, until: datetime | None = None) -> str | None:
    """Charge every minute an active reading has started up to ``until`` (default: what heartbeats confirm).

    Returns None when all are paid, else why the next one could not be (the reading must then leave
    ``active`` at ``billed_until_at``). A prepaid reading is never charged: None. Inner helper: the caller holds
    the transaction and the row lock.
    """
    if session.is_prepaid:
        return None
    assert session.active_since_at is not None and session.billed_until_at is not None
    end = confirmed_until(session, now) if until is None else max(session.active_since_at, until)
    for _ in range(MAX_MINUTES_PER_CALL):
        if end <= session.billed_until_at:
            return None
        refused = charge_next_minute(session=session)
        if refused:
            return refused
    return None
