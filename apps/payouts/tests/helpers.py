"""Helpers of the payouts tests: readers with earnings booked through the ledger, verified on the local Stripe."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from django.core.management import call_command

from apps.payouts.models import PayoutAccount
from apps.payouts.services import connect_account_sync
from apps.readings.tests.helpers import make_reader
from apps.wallet import stripe_gateway
from apps.wallet.enums import TransactionKind
from apps.wallet.models import Account
from apps.wallet.services.ledger import earnings_account, house_account, transaction_post

_keys = itertools.count(1)


def earn(reader: Any, amount: Decimal | str) -> None:
    """Book ``amount`` into the reader's earnings (platform:revenue → earnings, as an admin adjustment would)."""
    amount = Decimal(amount)
    transaction_post(
        kind=TransactionKind.ADJUSTMENT,
        idempotency_key=f"test-earn:{reader.pk}:{next(_keys)}",
        postings=[(house_account("platform:revenue"), -amount), (earnings_account(reader), amount)],
        user=reader,
        memo="Earnings for a test",
    )


def earnings(reader: Any) -> Decimal:
    account = Account.objects.filter(code=f"earnings:{reader.pk}").first()
    return account.balance if account else Decimal("0.00")


def in_transit() -> Decimal:
    from apps.wallet.selectors import balance_of

    return balance_of(house_account("payouts:in_transit"))


def verified_reader(server: Any, *, background_check: bool = True, reader: Any = None) -> Any:
    """A reader whose Express account exists on the local Stripe, finished onboarding and is mirrored here."""
    reader = reader or make_reader()
    created = stripe_gateway.connect_account_create(
        user_id=reader.pk, email=reader.email, idempotency_key=f"t{reader.pk}"
    )
    PayoutAccount.objects.update_or_create(
        reader=reader, defaults={"stripe_account_id": created["id"], "background_check_done": background_check}
    )
    connect_account_sync(stripe_account=server.account_complete(created["id"]), source="return")
    return reader


def ledger_clean() -> None:
    """``ledger_check`` passes (it exits 1 on any violation)."""
    call_command("ledger_check")
