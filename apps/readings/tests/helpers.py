"""Helpers of the live readings tests: real readers, real ledger credits, balances read from the ledger."""

import itertools
from decimal import Decimal
from typing import Any

from django.utils import timezone

from apps.readers.enums import Presence
from apps.readers.models import ReaderProfile
from apps.readers.tests.factories import ReaderProfileFactory
from apps.wallet.enums import TransactionKind
from apps.wallet.models import Account, Transaction
from tests.support.money import top_up

_keys = itertools.count()


def make_reader(*, rate: Decimal = Decimal("2.00"), online: bool = True) -> Any:
    """A listed reader (real profile) who is online now; returns the reader's User."""
    profile = ReaderProfileFactory(text_rate_amount=rate)
    if online:
        ReaderProfile.objects.filter(pk=profile.pk).update(presence=Presence.ONLINE, last_seen_at=timezone.now())
    return profile.user


def credit(user: Any, amount: Decimal, *, key: str | None = None) -> None:
    """Credit ``user``'s wallet through the ledger, as a landed top-up does (stripe:cash → wallet)."""
    top_up(user, amount, key)


def wallet_balance(user: Any) -> Decimal:
    return Account.objects.get(code=f"wallet:{user.pk}").balance


def hold_balance(session: Any) -> Decimal:
    account = Account.objects.filter(code=f"hold:session:{session.pk}").first()
    return account.balance if account else Decimal("0.00")


def ledger_minutes(session: Any) -> list[str]:
    return ledger_minutes_of([session.pk])[session.pk]


def ledger_minutes_of(session_ids: list[int]) -> dict[int, list[str]]:
    """``ledger_minutes`` of many readings in one query: each reading's id to its charges' keys, in order."""
    minutes: dict[int, list[str]] = {session_id: [] for session_id in session_ids}
    charges = (
        Transaction.objects.filter(session_id__in=session_ids, kind=TransactionKind.SESSION_CHARGE)
        .order_by("pk")
        .values_list("session_id", "idempotency_key")
    )
    for session_id, key in charges:
        minutes[session_id].append(key)
    return minutes


def due_active_sessions(count: int, *, minutes_of_funds: int = 5, rate: Decimal = Decimal("1.00")) -> list[Any]:
    """``count`` readings, each accepted 70 s ago with both parties heartbeating a second ago: minute 2 is due.

    Built through the services (request, accept, heartbeats), with the server's real clock.
    """
    from datetime import timedelta

    from apps.accounts.tests.factories import UserFactory
    from apps.readings.services import session_accept, session_heartbeat, session_request

    now = timezone.now()
    started = now - timedelta(seconds=70)
    sessions = []
    for _ in range(count):
        client, reader = UserFactory(), make_reader(rate=rate)
        credit(client, rate * minutes_of_funds)
        session = session_request(client=client, reader=reader, modality="text", now=started)
        session_accept(reader=reader, session_id=session.pk, now=started)
        for user in (client, reader):
            session_heartbeat(user=user, session_id=session.pk, at=now - timedelta(seconds=1), now=now)
        sessions.append(session)
    return sessions


def start_reading(*, rate: Decimal = Decimal("2.00"), funds: Decimal, at: Any, cap: Decimal | None = None, **kw: Any):
    """A client with ``funds`` in the wallet and an accepted reading at ``at``: (session, client, reader)."""
    from apps.accounts.tests.factories import UserFactory
    from apps.readings.services import session_accept, session_request

    client, reader = UserFactory(), make_reader(rate=rate)
    credit(client, funds)
    session = session_request(client=client, reader=reader, modality="text", spending_cap=cap, now=at, **kw)
    session = session_accept(reader=reader, session_id=session.pk, now=at)
    return session, client, reader


def both_present(session: Any, client: Any, reader: Any, *, start: Any, until: int, every: int = 10, tick=True):
    """Both parties heartbeat every ``every`` seconds from ``start`` (exclusive) to ``start + until``, with a
    tick after each round, as the room and the beat do."""
    from datetime import timedelta

    from apps.readings.services import session_bill_tick, session_heartbeat

    for second in range(every, until + 1, every):
        at = start + timedelta(seconds=second)
        for user in (client, reader):
            session_heartbeat(user=user, session_id=session.pk, now=at)
        if tick:
            session_bill_tick(now=at)
