"""Row locks of the payouts app, always in this order: payout accounts (by pk), the pause row, payouts (by pk).
Ledger accounts are locked after these, by the wallet's own helpers."""

from typing import Any

from .enums import PayoutStatus
from .models import Payout, PayoutAccount, PayoutControl


def payout_account_lock(*, reader: Any) -> PayoutAccount:
    """The reader's payout account, created if missing, locked. The caller holds the transaction."""
    PayoutAccount.objects.get_or_create(reader=reader)
    return PayoutAccount.objects.select_for_update(of=("self",)).get(reader=reader)


def payout_accounts_lock_skip_locked(*, ids: list[int]) -> list[PayoutAccount]:
    """Those of the given payout accounts nobody else holds, locked (the weekly batch on several workers)."""
    return list(
        PayoutAccount.objects.select_for_update(of=("self",), skip_locked=True).filter(pk__in=ids).order_by("pk")
    )


def payout_control_lock() -> PayoutControl:
    PayoutControl.objects.get_or_create(pk=1)
    return PayoutControl.objects.select_for_update(of=("self",)).get(pk=1)


def payout_lock(*, payout_id: int) -> Payout:
    return Payout.objects.select_for_update(of=("self",)).get(pk=payout_id)


def payouts_pending_lock(*, reader_id: int) -> list[Payout]:
    return list(
        Payout.objects.select_for_update(of=("self",))
        .filter(reader_id=reader_id, status=PayoutStatus.PENDING)
        .order_by("pk")
    )
