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
from apps.wallet.services.ledger import house_account, transaction_post, wallet_account

_keys = itertools.count()


def make_reader(*, rate: Decimal = Decimal("2.00"), online: bool = True) -> Any:
    """A listed reader (real profile) who is online now; returns the reader's User."""
    profile = ReaderProfileFactory(text_rate_amount=rate)
    if online:
        ReaderProfile.objects.filter(pk=profile.pk).update(presence=Presence.ONLINE, last_seen_at=timezone.now())
    return profile.user


def credit(user: Any, amount: Decimal, *, key: str | None = None) -> None:
    """Credit ``user``'s wallet through the ledger, as a landed top-up does (stripe:cash → wallet)."""
    transaction_post(
        kind=TransactionKind.TOP_UP,
        idempotency_key=key or f"test-credit:{user.pk}:{next(_keys)}:{timezone.now().timestamp()}",
        postings=[(wallet_account(user), amount), (house_account("stripe:cash"), -amount)],
        user=user,
    )


def wallet_balance(user: Any) -> Decimal:
    return Account.objects.get(code=f"wallet:{user.pk}").balance


def hold_balance(session: Any) -> Decimal:
    account = Account.objects.filter(code=f"hold:session:{session.pk}").first()
    return account.balance if account else Decimal("0.00")


def ledger_minutes(session: Any) -> list[str]:
    return list(
        Transaction.objects.filter(session_id=session.pk, kind=TransactionKind.SESSION_CHARGE)
        .order_by("pk")
        .values_list("idempotency_key", flat=True)
    )
