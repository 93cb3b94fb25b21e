"""Chargebacks on top-ups (SPEC §3).

- ``charge.dispute.created`` (or the first event we hear of a dispute): the client's wallet is frozen (spending
  stops; a dispute freeze) and the dispute recorded.
- ``charge.dispute.funds_withdrawn``: Stripe took the disputed amount. The chargeback transaction takes
  what the wallet still holds and books the rest to platform:losses (wallet, platform:losses → stripe:cash),
  keyed by the dispute id.
- ``charge.dispute.funds_reinstated`` or a dispute closed as won: the chargeback is reversed with the exact
  opposite postings (chargeback_reversal) and the dispute freeze lifted when no other dispute is open.
- An inquiry closed without becoming a chargeback (``warning_closed``) ends like a won dispute.
- A dispute closed as lost books the chargeback if no withdrawal notice did, and turns the freeze into one
  that only an admin lifts (``FreezeSource.DISPUTE_LOST``).
A dispute's status never moves backwards: events arrive in any order, and a closed dispute changes no more.
A dispute about a top-up that is not credited yet waits (``PaymentNotYetCredited``: the event stays pending).
Every step is audited and idempotent (one ledger key per dispute and direction).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from apps.core.services import audit_log_record
from apps.wallet import stripe_gateway
from apps.wallet.alerts import DISPUTE_OPENED, admin_alert
from apps.wallet.enums import FreezeSource, TransactionKind
from apps.wallet.locks import disputes_for_update
from apps.wallet.models import Dispute, Transaction
from apps.wallet.services.ledger import (
    account_freeze,
    account_unfreeze,
    ledger_post,
    money_returned_to_card_postings,
    wallet_account,
)
from apps.wallet.services.payments import payment_ref_resolve, topup_for_payment

ACTIVE_STATUSES = (Dispute.Status.OPEN, Dispute.Status.FUNDS_WITHDRAWN)
CLOSED_STATUSES = (Dispute.Status.WON, Dispute.Status.LOST, Dispute.Status.WARNING_CLOSED)
# Stripe's dispute statuses in the order they can happen; a later event never moves one back.
STRIPE_STATUS_RANK = {
    "warning_needs_response": 0,
    "warning_under_review": 1,
    "needs_response": 2,
    "under_review": 3,
    "warning_closed": 4,
    "won": 4,
    "lost": 4,
}


def _stripe_status_advance(row: Dispute, status: str | None) -> None:
    if status and STRIPE_STATUS_RANK.get(status, 0) >= STRIPE_STATUS_RANK.get(row.stripe_status, -1):
        row.stripe_status = status


def _dispute_row(dispute: dict[str, Any], stripe_event_id: str) -> tuple[Dispute | None, bool]:
    """The Dispute row, locked; created (and the wallet frozen) if this is the first we hear of it.

    Which payment it is about is resolved before the caller's transaction (``_prefetch`` may ask Stripe).
    Raises ``PaymentNotYetCredited`` for a top-up not credited yet. Caller holds the transaction.
    """
    row = disputes_for_update().filter(stripe_dispute_id=dispute["id"]).first()
    if row is not None:
        return row, False
    topup = topup_for_payment(dispute["_ref"]) if "_ref" in dispute else None
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
    account_freeze(
        account=wallet_account(row.user), reason=f"Payment dispute {row.stripe_dispute_id}", source=FreezeSource.DISPUTE
    )
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
    admin_alert(
        kind=DISPUTE_OPENED,
        title=f"A payment dispute opened: ${row.amount}",
        body=(
            f"Stripe dispute {row.stripe_dispute_id} ({row.reason or 'no reason given'}) on top-up {topup.pk} of "
            f"user {row.user_id}. Their wallet is frozen until it is settled; answer the dispute in Stripe."
        ),
        url_name="staff_wallet:refunds",
    )
    return row, True


def _prefetch(dispute: dict[str, Any]) -> dict[str, Any]:
    # The Stripe call (when the dispute names only a charge) is made outside any transaction.
    if Dispute.objects.filter(stripe_dispute_id=dispute["id"]).exists():
        return dispute
    return {**dispute, "_ref": payment_ref_resolve(dispute)}


def dispute_open(*, dispute: dict[str, Any], stripe_event_id: str = "") -> Dispute | None:
    return _dispute_open(dispute=_prefetch(dispute), stripe_event_id=stripe_event_id)


@transaction.atomic(durable=True)
def _dispute_open(*, dispute: dict[str, Any], stripe_event_id: str) -> Dispute | None:
    row, _ = _dispute_row(dispute, stripe_event_id)
    if row is not None and row.status not in CLOSED_STATUSES:
        before = row.stripe_status
        _stripe_status_advance(row, dispute.get("status"))
        if row.stripe_status != before:
            row.save(update_fields=["stripe_status", "updated_at"])
    return row


def dispute_funds_withdrawn(*, dispute: dict[str, Any], stripe_event_id: str = "") -> Transaction | None:
    return _dispute_funds_withdrawn(dispute=_prefetch(dispute), stripe_event_id=stripe_event_id)


@transaction.atomic(durable=True)
def _dispute_funds_withdrawn(*, dispute: dict[str, Any], stripe_event_id: str) -> Transaction | None:
    row, _ = _dispute_row(dispute, stripe_event_id)
    if row is None:
        return None  # Not a dispute of a wallet top-up.
    existing = Transaction.objects.filter(idempotency_key=f"chargeback:{row.stripe_dispute_id}").first()
    if existing is not None or row.status in (Dispute.Status.WON, Dispute.Status.WARNING_CLOSED):
        # Already booked, or already won (a late, out-of-order withdrawal notice changes nothing).
        return existing
    return _chargeback_book(row, dispute, stripe_event_id)


def _chargeback_book(row: Dispute, dispute: dict[str, Any], stripe_event_id: str) -> Transaction:
    """Book the money Stripe took for ``row``, once. Inner helper: the caller holds the transaction and the row lock."""
    key = f"chargeback:{row.stripe_dispute_id}"
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
    if row.status == Dispute.Status.OPEN:
        row.status = Dispute.Status.FUNDS_WITHDRAWN
    row.amount = amount
    _stripe_status_advance(row, dispute.get("status"))
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
    outcome = Dispute.Status.WARNING_CLOSED if dispute.get("status") == "warning_closed" else Dispute.Status.WON
    return _dispute_won(dispute=_prefetch(dispute), stripe_event_id=stripe_event_id, outcome=outcome)


def dispute_closed(*, dispute: dict[str, Any], stripe_event_id: str = "") -> Transaction | None:
    dispute = _prefetch(dispute)
    if dispute.get("status") == "won":
        return _dispute_won(dispute=dispute, stripe_event_id=stripe_event_id, outcome=Dispute.Status.WON)
    if dispute.get("status") == "warning_closed":
        return _dispute_won(dispute=dispute, stripe_event_id=stripe_event_id, outcome=Dispute.Status.WARNING_CLOSED)
    if dispute.get("status") == "lost":
        _dispute_lost(dispute=dispute, stripe_event_id=stripe_event_id)
    return None


@transaction.atomic(durable=True)
def _dispute_won(*, dispute: dict[str, Any], stripe_event_id: str, outcome: str) -> Transaction | None:
    """Won, or an inquiry closed: the chargeback (if any) is reversed and the dispute freeze lifted."""
    row, _ = _dispute_row(dispute, stripe_event_id)
    if row is None or row.status == Dispute.Status.LOST:
        return None  # Not ours, or closed as lost: a closed dispute changes no more.
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
    if row.status in CLOSED_STATUSES:
        return reversal
    row.status = outcome
    _stripe_status_advance(row, dispute.get("status"))
    row.save(update_fields=["status", "stripe_status", "updated_at"])
    others_open = Dispute.objects.filter(user_id=row.user_id, status__in=ACTIVE_STATUSES).exclude(pk=row.pk).exists()
    wallet = wallet_account(row.user)
    if not others_open:
        # Lifts only a dispute freeze: a lost dispute's or an admin's freeze waits for an admin.
        wallet = account_unfreeze(account=wallet, source=FreezeSource.DISPUTE)
    audit_log_record(
        actor=None,
        action="wallet.dispute_won" if outcome == Dispute.Status.WON else "wallet.dispute_warning_closed",
        target=row,
        details={
            "user": row.user_id,
            "reversal": reversal.pk if reversal else None,
            "wallet": "frozen" if wallet.is_frozen else "unfrozen",
            "frozen_source": wallet.frozen_source,
            "stripe_event_id": stripe_event_id,
        },
    )
    return reversal


@transaction.atomic(durable=True)
def _dispute_lost(*, dispute: dict[str, Any], stripe_event_id: str) -> Dispute | None:
    row, _ = _dispute_row(dispute, stripe_event_id)
    if row is None or row.status in CLOSED_STATUSES:
        return row
    # The money is Stripe's now, whether or not its withdrawal notice reached us.
    if not Transaction.objects.filter(idempotency_key=f"chargeback:{row.stripe_dispute_id}").exists():
        _chargeback_book(row, dispute, stripe_event_id)
    row.status = Dispute.Status.LOST
    _stripe_status_advance(row, dispute.get("status"))
    row.save(update_fields=["status", "stripe_status", "updated_at"])
    account_freeze(
        account=wallet_account(row.user),
        reason=f"Payment dispute {row.stripe_dispute_id} lost",
        source=FreezeSource.DISPUTE_LOST,
    )
    audit_log_record(
        actor=None,
        action="wallet.dispute_lost",
        target=row,
        details={"user": row.user_id, "wallet": "stays frozen", "stripe_event_id": stripe_event_id},
    )
    return row
