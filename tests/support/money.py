"""Money for tests: wallets credited through the ledger exactly as a landed Stripe top-up credits them."""

import itertools
from decimal import Decimal
from typing import Any

from apps.wallet.enums import TransactionKind
from apps.wallet.models import Transaction
from apps.wallet.services.ledger import house_account, transaction_post, wallet_account

_keys = itertools.count(1)


def top_up(user: Any, amount: Decimal | str, key: str | None = None, **refs: Any) -> Transaction:
    """Credit ``user``'s wallet with ``amount`` (stripe:cash → wallet) in a transaction of its own.

    ``key`` is the idempotency key (a fresh one when omitted); ``refs`` are the ledger references
    (``stripe_checkout_session_id=...``) a real top-up carries.
    """
    amount = Decimal(amount)
    return transaction_post(
        kind=TransactionKind.TOP_UP,
        idempotency_key=key or f"test-topup:{user.pk}:{next(_keys)}",
        postings=[(house_account("stripe:cash"), -amount), (wallet_account(user), amount)],
        user=user,
        **refs,
    )
