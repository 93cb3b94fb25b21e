"""Admin freezes of a client wallet: freeze by hand, and lift any freeze (a lost dispute's freeze waits for
this). Only admins; a reason is required; every change is audited with the source of the freeze it replaced."""

from typing import Any

from django.db import transaction
from django.http import HttpRequest

from apps.core.exceptions import DomainError, PermissionDeniedError
from apps.core.services import audit_log_record
from apps.wallet.enums import FreezeSource
from apps.wallet.models import Account
from apps.wallet.services.ledger import account_freeze, account_unfreeze, wallet_account


def _checked_reason(actor: Any, reason: str) -> str:
    if not getattr(actor, "is_staff", False):
        raise PermissionDeniedError("Only admins can freeze or unfreeze a wallet.")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Give a reason for freezing or unfreezing the wallet.")
    return reason[:255]


@transaction.atomic(durable=True)
def wallet_freeze(*, actor: Any, user: Any, reason: str, request: HttpRequest | None = None) -> Account:
    """Freeze ``user``'s wallet by hand: nothing but refunds and chargebacks leaves it until an admin lifts it."""
    reason = _checked_reason(actor, reason)
    wallet = wallet_account(user)
    before = wallet.frozen_source if wallet.is_frozen else ""
    wallet = account_freeze(account=wallet, reason=f"Frozen by an admin: {reason}", source=FreezeSource.ADMIN)
    audit_log_record(
        actor=actor,
        action="wallet.frozen_by_admin",
        target=wallet,
        details={"user_id": user.pk, "reason": reason, "replaced_source": before},
        request=request,
    )
    return wallet


@transaction.atomic(durable=True)
def wallet_unfreeze(*, actor: Any, user: Any, reason: str, request: HttpRequest | None = None) -> Account:
    """Lift any freeze of ``user``'s wallet (an admin's, a lost dispute's or an open dispute's)."""
    reason = _checked_reason(actor, reason)
    wallet = wallet_account(user)
    if not wallet.is_frozen:
        raise DomainError("This wallet is not frozen.")
    before, before_reason = wallet.frozen_source, wallet.frozen_reason
    wallet = account_unfreeze(account=wallet, source=FreezeSource.ADMIN)
    audit_log_record(
        actor=actor,
        action="wallet.unfrozen_by_admin",
        target=wallet,
        details={"user_id": user.pk, "reason": reason, "lifted_source": before, "lifted_reason": before_reason},
        request=request,
    )
    return wallet
