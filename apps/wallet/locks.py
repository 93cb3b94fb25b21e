"""Row locks of the wallet app. Every lock on an account row is taken here, always in primary-key order,
so two transactions touching the same accounts can never deadlock each other."""

from collections.abc import Iterable
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from django.db.models import QuerySet

from apps.core.db import prepared_cursor
from apps.wallet.models import Account, Dispute, Refund, TopUp


def _accounts_for_update(ids: Iterable[int]):
    return Account.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk")


def accounts_lock(account_ids: Iterable[int]) -> dict[int, Account]:
    """Lock the given account rows (FOR UPDATE, in pk order) and return them fresh from the database.

    The caller must hold a transaction.
    """
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    return {account.pk: account for account in _accounts_for_update(ids)}


class LockedBalance(NamedTuple):
    pk: int
    kind: str
    balance: Decimal
    is_frozen: bool


@lru_cache(maxsize=16)
def _balances_lock_sql(count: int) -> str:
    # The statement is the ORM's own (same lock clause, same order), compiled once per number of rows:
    # the posting service takes these locks on every posting.
    queryset = _accounts_for_update(range(count)).values_list("pk", "kind", "balance", "is_frozen")
    sql, _ = queryset.query.sql_with_params()
    return sql


def account_balances_lock(account_ids: Iterable[int]) -> dict[int, LockedBalance]:
    """Like ``accounts_lock`` but returns only what the posting service checks (kind, balance, frozen).

    The caller must hold a transaction.
    """
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    with prepared_cursor() as cursor:
        cursor.execute(_balances_lock_sql(len(ids)), ids)
        rows = cursor.fetchall()
    return {pk: LockedBalance(pk, kind, balance, is_frozen) for pk, kind, balance, is_frozen in rows}


def topups_for_update() -> QuerySet[TopUp]:
    """Top-ups to lock (FOR UPDATE of the top-up row only); the caller filters to the row it needs and holds the
    transaction. A top-up is locked before any account (``accounts_lock``), so the order is always the same."""
    return TopUp.objects.select_for_update(of=("self",))


def refunds_for_update() -> QuerySet[Refund]:
    """Refunds to lock, like ``topups_for_update``; taken after the top-up's lock when both are needed."""
    return Refund.objects.select_for_update(of=("self",))


def disputes_for_update() -> QuerySet[Dispute]:
    """Disputes to lock, like ``topups_for_update``."""
    return Dispute.objects.select_for_update(of=("self",))
