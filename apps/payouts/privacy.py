"""Personal data of payouts: a reader's payout account (Stripe Connect status) and payouts (see
``apps/core/privacy.py``).

Policy for a reader's remaining earnings: deletion waits until the earnings balance is zero and no payout is on
its way. The reader requests a payout (or waits for the weekly one); earnings below the payout minimum are paid
out on request through support. Payout rows stay for the books, with the Stripe account they went to."""

from typing import Any

from apps.core.privacy import PersonalData, personal_data_register

from .enums import PayoutStatus
from .models import Payout, PayoutAccount
from .selectors import earnings_available


def _export(user: Any) -> dict[str, Any]:
    return {
        "payout_account": PayoutAccount.objects.filter(reader=user)
        .values(
            "stripe_account_id",
            "details_submitted",
            "payouts_enabled",
            "share_rate",
            "is_held",
            "held_reason",
            "created_at",
        )
        .first(),
        "payouts": list(
            Payout.objects.filter(reader=user)
            .order_by("pk")
            .values("amount", "source", "status", "reversed_amount", "failure_reason", "created_at", "paid_at")
        ),
    }


def _blockers(user: Any) -> list[str]:
    reasons = []
    if Payout.objects.filter(reader=user, status=PayoutStatus.PENDING).exists():
        reasons.append("A payout of your earnings is on its way. Wait until it has arrived.")
    earnings = earnings_available(reader=user)
    if earnings > 0:
        reasons.append(
            f"You have ${earnings:.2f} of earnings not paid out yet. Request a payout first; if the amount is "
            "below the payout minimum, contact us through the Help Center and we will pay it out."
        )
    return reasons


def _erase(user: Any) -> None:
    PayoutAccount.objects.filter(reader=user).update(kyc_note="")


personal_data_register(
    PersonalData(
        key="payouts.payouts",
        export=_export,
        erase=_erase,
        blockers=_blockers,
        models=("payouts.PayoutAccount", "payouts.Payout", "payouts.PayoutControl"),
    )
)
