"""Chargebacks on top-ups (SPEC §3).

- ``charge.dispute.created``: the client's wallet is frozen (spending stops) and the dispute recorded.
- ``charge.dispute.funds_withdrawn``: Stripe took the disputed amount. The chargeback transaction takes
  what the wallet still holds and books the rest to platform:losses (wallet, platform:losses → stripe:cash),
  keyed by the dispute id.
- ``charge.dispute.funds_reinstated`` or a dispute closed as won: the chargeback is reversed with the exact
  opposite postings (chargeback_reversal) and the wallet unfrozen when no other dispute is open.
- A dispute closed as lost keeps the wallet frozen until an admin lifts it.
Every step is audited and idempotent (one ledger key per dispute and direction).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from apps.core.services import audit_log_record
from apps.wallet import stripe_gateway
from apps.wallet.enums import TransactionKind
from apps.wallet.models import Dispute, TopUp, Transaction
from apps.wallet.services.ledger import (
    account_freeze,
    account_unfreeze,
    ledger_post,
    money_returned_to_card_postings,
    wallet_account,
)

ACTIVE_STATUSES = (Dispute.Status.OPEN, Dispute.Status.FUNDS_WITHDRAWN)


def _payment_intent_of(dispute: dict[str, Any]) -> str:
    payment_intent = dispute.get("payment_intent")
    if isinstance(payment_intent, dict):
        payment_intent = payment_intent.get("id")
    if payment_intent:
        return str(payment_intent)
    charge = dispute.get("charge")
    if isinstance(charge, dict):
        return str(charge.get("payment_intent") or "")
    if charge:
        return str(stripe_gateway.charge_retrieve(charge).get("payment_intent") or "")
    return ""


def _topup_for(dispute: dict[str, Any]) -> TopUp | None:
    payment_intent = _payment_intent_of(dispute)
    if not payment_intent:
        return None
    return TopUp.objects.filter(stripe_payment_intent_id=payment_intent).first()


def _dispute_row(dispute: dict[str, Any], stripe_event_id: str) -> tuple[Dispute | None, bool]:
    """The Dispute row, locked; created (and the wallet frozen) if this is the first we hear of it.

    Stripe's payment intent lookup happens before the caller's transaction (see ``_prefetch``).
    Caller holds the transaction.
    """
    row = Dispute.objects.select_for_update(of=("self",)).filter(stripe_dispute_id=dispute["id"]).first()
    if row is not None:
        return row, False
    topup = dispute.get("_topup")
    if topup is None:
        return None, False
    row = Dispute.objects.create(
        stripe_dispute_id=dispute["id"],
        topup=topup,
        user_id=topup.user_id,
        amount=stripe_gateway.from_cents(dispute["amount"]),
        stripe_status=dispute.get("status") or "",
        reason=dispute.get("reason") or "",
    )
    account_freeze(account=wallet_account(row.user), reason=f"Payment dispute {row.stripe_dispute_id}")
    audit_log_record(
        actor=None,
        action="wallet.dispute_opened",
        target=row,
        details={
            "user": row.user_id,
            "topup": topup.pk,
            "amount": str(row.amount),
            "reason": row.reason,
            "stripe_event_id": stripe_event_id,
            "wallet": "frozen",
        },
    )
    return row, True


def _prefetch(dispute: dict[str, Any]) -> dict[str, Any]:
    # The Stripe call (when the dispute names only a charge) is made outside any transaction.
    if Dispute.objects.filter(stripe_dispute_id=dispute["id"]).exists():
        return dispute
    return {**dispute, "_topup": _topup_for(dispute)}


def dispute_open(*, dispute: dict[str, Any], stripe_event_id: str = "") -> Dispute | None:
    return _dispute_open(dispute=_prefetch(dispute), stripe_event_id=stripe_event_id)


@transaction.atomic(durable=True)
def _dispute_open(*, dispute: dict[str, Any], stripe_event_id: str) -> Dispute | None:
    row, _ = _dispute_row(dispute, stripe_event_id)
    if row is not None and row.stripe_status != dispute.get("status"):
        row.stripe_status = dispute.get("status") or row.stripe_status
        row.save(update_fields=["stripe_status", "updated_at"])
    return row


def dispute_funds_withdrawn(*, dispute: dict[str, Any], stripe_event_id: str = "") -> Transaction | None:
    return _dispute_funds_withdrawn(dispute=_prefetch(dispute), stripe_event_id=stripe_event_id)


@transaction.atomic(durable=True)
def _dispute_funds_withdrawn(*, dispute: dict[str, Any], stripe_event_id: str) -> Transaction | None:
    row, _ = _dispute_row(dispute, stripe_event_id)
    if row is None:
        return None  # Not a dispute of a wallet top-up.
    key = f"chargeback:{row.stripe_dispute_id}"
    existing = Transaction.objects.filter(idempotency_key=key).first()
    if existing is not None or row.status in (Dispute.Status.WON,):
        # Already booked, or already won (a late, out-of-order withdrawal notice changes nothing).
        return existing
    amount = stripe_gateway.from_cents(dispute["amount"])
    postings, from_wallet = money_returned_to_card_postings(user=row.user, amount=amount)
    txn = ledger_post(
        kind=TransactionKind.CHARGEBACK,
        idempotency_key=key,
        postings=postings,
        user=row.user,
        memo="Chargeback",
        stripe_dispute_id=row.stripe_dispute_id,
        stripe_payment_intent_id=row.topup.stripe_payment_intent_id,
        stripe_event_id=stripe_event_id,
    )
    row.status = Dispute.Status.FUNDS_WITHDRAWN
    row.amount = amount
    row.stripe_status = dispute.get("status") or row.stripe_status
    row.save(update_fields=["status", "amount", "stripe_status", "updated_at"])
    audit_log_record(
        actor=None,
        action="wallet.chargeback",
        target=row,
        details={
            "user": row.user_id,
            "amount": str(amount),
            "from_wallet": str(from_wallet),
            "to_losses": str(amount - from_wallet),
            "transaction": txn.pk,
            "stripe_event_id": stripe_event_id,
        },
    )
    return txn


def dispute_funds_reinstated(*, dispute: dict[str, Any], stripe_event_id: str = "") -> Transaction | None:
    return _dispute_won(dispute=_prefetch(dispute), stripe_event_id=stripe_event_id)


def dispute_closed(*, dispute: dict[str, Any], stripe_event_id: str = "") -> Transaction | None:
    dispute = _prefetch(dispute)
    if dispute.get("status") == "won":
        return _dispute_won(dispute=dispute, stripe_event_id=stripe_event_id)
    if dispute.get("status") == "lost":
        _dispute_lost(dispute=dispute, stripe_event_id=stripe_event_id)
    return None


@transaction.atomic(durable=True)
def _dispute_won(*, dispute: dict[str, Any], stripe_event_id: str) -> Transaction | None:
    row, _ = _dispute_row(dispute, stripe_event_id)
    if row is None:
        return None
    reversal = None
    chargeback = Transaction.objects.filter(idempotency_key=f"chargeback:{row.stripe_dispute_id}").first()
    if chargeback is not None:
        reversal = ledger_post(
            kind=TransactionKind.CHARGEBACK_REVERSAL,
            idempotency_key=f"chargeback_reversal:{row.stripe_dispute_id}",
            postings=[(posting.account, -posting.amount) for posting in chargeback.postings.select_related("account")],
            user=row.user,
            memo="Chargeback reversed: dispute won",
            stripe_dispute_id=row.stripe_dispute_id,
            stripe_payment_intent_id=row.topup.stripe_payment_intent_id,
            stripe_event_id=stripe_event_id,
        )
    if row.status == Dispute.Status.WON:
        return reversal
    row.status = Dispute.Status.WON
    row.stripe_status = dispute.get("status") or row.stripe_status
    row.save(update_fields=["status", "stripe_status", "updated_at"])
    others_open = Dispute.objects.filter(user_id=row.user_id, status__in=ACTIVE_STATUSES).exclude(pk=row.pk).exists()
    if not others_open:
        account_unfreeze(account=wallet_account(row.user))
    audit_log_record(
        actor=None,
        action="wallet.dispute_won",
        target=row,
        details={
            "user": row.user_id,
            "reversal": reversal.pk if reversal else None,
            "wallet": "frozen" if others_open else "unfrozen",
            "stripe_event_id": stripe_event_id,
        },
    )
    return reversal


@transaction.atomic(durable=True)
def _dispute_lost(*, dispute: dict[str, Any], stripe_event_id: str) -> Dispute | None:
    row, _ = _dispute_row(dispute, stripe_event_id)
    if row is None or row.status in (Dispute.Status.LOST, Dispute.Status.WON):
        return row
    row.status = Dispute.Status.LOST
    row.stripe_status = dispute.get("status") or row.stripe_status
    row.save(update_fields=["status", "stripe_status", "updated_at"])
    audit_log_record(
        actor=None,
        action="wallet.dispute_lost",
        target=row,
        details={"user": row.user_id, "wallet": "stays frozen", "stripe_event_id": stripe_event_id},
    )
    return row
