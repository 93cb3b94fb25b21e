"""Admin adjustments: credit or debit a client wallet by hand, with a reason, audited."""

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.http import HttpRequest

from apps.core.exceptions import DomainError, PermissionDeniedError
from apps.core.models import AuditLog
from apps.core.services import audit_log_record
from apps.wallet.enums import TransactionKind
from apps.wallet.exceptions import InvalidAmount
from apps.wallet.models import Transaction
from apps.wallet.services.ledger import house_account, ledger_post, money, wallet_account
from apps.wallet.templatetags.wallet_money import usd

ADJUSTMENT_COUNTERPART = "platform:revenue"
MAX_ADJUSTMENT = Decimal("10000.00")


@transaction.atomic(durable=True)
def adjustment_create(
    *,
    actor: Any,
    user: Any,
    amount: Decimal,
    reason: str,
    idempotency_key: str,
    request: HttpRequest | None = None,
) -> Transaction:
    """Credit (``amount`` > 0) or debit (``amount`` < 0) ``user``'s wallet, and audit it.

    The other leg is ``platform:revenue``. An adjustment is the platform giving money (a goodwill credit,
    a correction of a billing error) or taking back money a wallet should not hold; in the books that is
    a change of the platform's own result, not cash: no money moved through Stripe, so ``stripe:cash`` is
    untouched, and ``platform:losses`` stays reserved for payment disputes so that it keeps meaning
    exactly "lost to chargebacks". Adjustments remain separable in revenue by their kind ("adjustment"),
    and each carries its reason as the memo and in the audit log. A debit never takes the wallet below
    zero (``InsufficientFunds``). Only admins may adjust.
    """
    if not getattr(actor, "is_staff", False):
        raise PermissionDeniedError("Only admins can adjust a wallet.")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("A reason is required for every adjustment.")
    try:
        amount = money(amount)
    except ValueError as error:
        raise InvalidAmount(str(error))
    if amount == 0 or abs(amount) > MAX_ADJUSTMENT:
        raise InvalidAmount(f"Enter an amount between $0.01 and {usd(MAX_ADJUSTMENT)}.")
    wallet = wallet_account(user)
    counterpart = house_account(ADJUSTMENT_COUNTERPART)
    txn = ledger_post(
        kind=TransactionKind.ADJUSTMENT,
        idempotency_key=idempotency_key,
        postings=[(wallet, amount), (counterpart, -amount)],
        user=user,
        actor=actor,
        memo=reason,
    )
    if not _already_audited(txn):
        audit_log_record(
            actor=actor,
            action="wallet.adjustment",
            target=txn,
            details={
                "user_id": user.pk,
                "amount": f"{amount:.2f}",
                "reason": reason,
                "balance_after": f"{wallet.balance:.2f}",
            },
            request=request,
        )
    return txn


def _already_audited(txn: Transaction) -> bool:
    # A replayed key returns the first transaction, which was audited when it was posted.
    return AuditLog.objects.filter(
        action="wallet.adjustment", target_type="wallet.transaction", target_id=str(txn.pk)
    ).exists()
