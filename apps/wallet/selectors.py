"""Reads of the wallet app. Permission scoping happens here: a viewer only ever gets their own rows."""

from decimal import Decimal
from typing import Any

from django.db.models import Sum

from apps.wallet.models import Account, Posting


def balance_of(account: Account) -> Decimal:
    """The balance of ``account`` derived from its postings: the truth the cached balance must equal."""
    total = Posting.objects.filter(account=account).aggregate(total=Sum("amount"))["total"]
    return total if total is not None else Decimal("0.00")


def wallet_balance(*, user: Any) -> Decimal:
    """The cached balance of ``user``'s client wallet (zero when there is none yet)."""
    balance = Account.objects.filter(code=f"wallet:{user.pk}").values_list("balance", flat=True).first()
    return balance if balance is not None else Decimal("0.00")
