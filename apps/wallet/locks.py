"""Row locks of the wallet app. Every lock on an account row is taken here, always in primary-key order,
so two transactions touching the same accounts can never deadlock each other."""

from collections.abc import Iterable

from apps.wallet.models import Account


def accounts_lock(account_ids: Iterable[int]) -> dict[int, Account]:
    """Lock the given account rows (FOR UPDATE, in pk order) and return them fresh from the database.

    The caller must hold a transaction.
    """
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    rows = Account.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk")
    return {account.pk: account for account in rows}
