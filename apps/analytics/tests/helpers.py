"""Money and readings at chosen times, for the analytics tests: real ledger postings (through ``ledger_post``),
real readings and reviews, each dated when the test says."""

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from unittest import mock

from apps.readings.models import ReadingSession, Review, SessionEvent
from apps.wallet.enums import TransactionKind
from apps.wallet.models import Transaction
from apps.wallet.services.holds import hold_fund, hold_settle
from apps.wallet.services.ledger import house_account, ledger_post, wallet_account
from apps.wallet.services.shares import reader_share_postings

_keys = itertools.count(1)


@contextmanager
def posted_at(when: datetime) -> Iterator[None]:
    """Ledger transactions created inside are dated ``when`` (their ``created_at`` default), as if posted then."""
    field = Transaction._meta.get_field("created_at")
    with mock.patch.object(field, "_get_default", lambda: when):
        yield


def key(prefix: str) -> str:
    return f"analytics-test:{prefix}:{next(_keys)}"


def top_up_at(user: Any, amount: Decimal, when: datetime) -> None:
    """Inside the caller's transaction: a card top-up of ``amount`` into ``user``'s wallet at ``when``."""
    with posted_at(when):
        ledger_post(
            kind=TransactionKind.TOP_UP,
            idempotency_key=key("topup"),
            postings=[(house_account("stripe:cash"), -amount), (wallet_account(user), amount)],
            user=user,
        )


def earn_at(*, kind: Any, client: Any, reader: Any, amount: Decimal, when: datetime) -> tuple[Decimal, Decimal]:
    """Inside the caller's transaction: ``client`` tops up ``amount`` and pays it to ``reader`` in a transaction
    of ``kind`` (the reader's share to their earnings, the rest to the platform), both at ``when``. Returns
    (reader share, platform share)."""
    top_up_at(client, amount, when)
    shares = reader_share_postings(amount=amount, reader=reader, source_account=wallet_account(client))
    with posted_at(when):
        ledger_post(kind=kind, idempotency_key=key(str(kind)), postings=shares.postings, user=client)
    return shares.reader_amount, shares.platform_amount


def adjust_at(*, user: Any, amount: Decimal, when: datetime) -> None:
    """Inside the caller's transaction: an admin adjustment of ``user``'s wallet against platform revenue (a
    debit is preceded by a top-up that covers it)."""
    if amount < 0:
        top_up_at(user, -amount, when)
    with posted_at(when):
        ledger_post(
            kind=TransactionKind.ADJUSTMENT,
            idempotency_key=key("adj"),
            postings=[(wallet_account(user), amount), (house_account("platform:revenue"), -amount)],
            user=user,
        )


def refund_at(*, user: Any, amount: Decimal, when: datetime) -> None:
    """Inside the caller's transaction: a top-up, then a refund of it to the card (wallet → stripe:cash)."""
    top_up_at(user, amount, when)
    with posted_at(when):
        ledger_post(
            kind=TransactionKind.REFUND,
            idempotency_key=key("refund"),
            postings=[(wallet_account(user), -amount), (house_account("stripe:cash"), amount)],
            user=user,
        )


def chargeback_at(*, user: Any, amount: Decimal, taken: Decimal, when: datetime) -> None:
    """Inside the caller's transaction: a top-up of ``taken``, then a chargeback of ``amount`` that takes it from
    the wallet and books the rest to platform:losses."""
    legs = [(house_account("stripe:cash"), amount)]
    if taken:
        top_up_at(user, taken, when)
        legs.append((wallet_account(user), -taken))
    if amount - taken:
        legs.append((house_account("platform:losses"), -(amount - taken)))
    with posted_at(when):
        ledger_post(kind=TransactionKind.CHARGEBACK, idempotency_key=key("cb"), postings=legs, user=user)


def reading_ended(*, client: Any, reader: Any, ended_at: datetime, minutes: int, rate: Decimal = Decimal("2.00")):
    """A finished reading of ``minutes`` billed minutes that ended at ``ended_at`` (its row only: the money of a
    reading is its settlement, posted with ``earn_at``)."""
    return ReadingSession.objects.create(
        client=client,
        reader=reader,
        modality="text",
        rate_amount=rate,
        state="finalized",
        created_at=ended_at - timedelta(minutes=minutes + 1),
        accepted_at=ended_at - timedelta(minutes=minutes),
        ended_at=ended_at,
        finalized_at=ended_at,
        active_seconds=Decimal(minutes * 60),
        minutes_billed=minutes,
        charged_amount=rate * minutes,
    )


def reading_settled(
    *, client: Any, reader: Any, ended_at: datetime, minutes: int, rate: Decimal = Decimal("2.00")
) -> ReadingSession:
    """Inside the caller's transaction: a reading exactly as the services leave it, dated ``ended_at``: the
    client tops up, each minute is charged into the reading's hold (keys ``session:<id>:minute:<n>``), the
    reading ends after ``minutes`` active minutes (its event justifies them) and the hold settles to the reader
    and the platform. The ledger check finds nothing to say about it."""
    session = reading_ended(client=client, reader=reader, ended_at=ended_at, minutes=minutes, rate=rate)
    top_up_at(client, rate * minutes, ended_at - timedelta(minutes=minutes + 1))
    for minute in range(1, minutes + 1):
        with posted_at(ended_at - timedelta(minutes=minutes - minute + 1)):
            hold_fund(
                subject_type="session",
                subject_id=session.pk,
                payer=client,
                amount=rate,
                kind=TransactionKind.SESSION_CHARGE,
                fact=f"minute:{minute}",
                session_id=session.pk,
            )
    SessionEvent.objects.create(
        session=session,
        from_state="active",
        to_state="ended",
        reason="client_ended",
        actor=client,
        at=ended_at,
        active_seconds=Decimal(minutes * 60),
        minutes_billed=minutes,
    )
    with posted_at(ended_at):
        hold_settle(
            subject_type="session",
            subject_id=session.pk,
            reader=reader,
            expected_amount=session.charged_amount,
            rate=session.reader_rate,
            kind=TransactionKind.SESSION_SETTLEMENT,
            session_id=session.pk,
        )
    return session


def review_at(*, session: ReadingSession, rating: int, when: datetime, hidden: bool = False) -> Review:
    return Review.objects.create(
        session=session,
        client=session.client,
        reader=session.reader,
        rating=rating,
        body="Thoughtful and kind.",
        created_at=when,
        is_hidden=hidden,
        hidden_reason="Abusive language" if hidden else "",
        hidden_at=when if hidden else None,
    )
