"""Refunds of top-ups to the card.

An admin asks for a refund: a pending Refund row is written in the same transaction as its audit row
(outbox), and the Stripe request is made after commit by a retrying job (``refund_submit``), whose
idempotency key is derived from the row, so a crash or a retry never refunds twice. The wallet is
debited only when Stripe reports the refund succeeded (``refund.*`` / ``charge.refunded``), in a ledger
transaction keyed by the Stripe refund id: wallet → stripe:cash. If the client spent the money between
the request and Stripe's confirmation, the part the wallet no longer holds is booked to platform:losses.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from apps.core.exceptions import DomainError, IntegrationNotConfigured, InvalidStateError
from apps.core.integrations import stripe_enabled
from apps.core.services import audit_log_record
from apps.wallet import stripe_gateway
from apps.wallet.enums import TransactionKind
from apps.wallet.exceptions import InvalidAmount
from apps.wallet.locks import accounts_lock
from apps.wallet.models import Refund, TopUp, Transaction
from apps.wallet.services.ledger import (
    ledger_post,
    money,
    money_returned_to_card_postings,
    wallet_account,
)

logger = logging.getLogger(__name__)

OPEN_STATUSES = (Refund.Status.PENDING, Refund.Status.SUBMITTED)
COUNTED_STATUSES = (Refund.Status.PENDING, Refund.Status.SUBMITTED, Refund.Status.SUCCEEDED)
STRIPE_STATUS = {
    "succeeded": Refund.Status.SUCCEEDED,
    "failed": Refund.Status.FAILED,
    "canceled": Refund.Status.CANCELED,
}


class RefundRejected(DomainError):
    default_message = "This refund is not possible."


def _sum(qs: Any) -> Decimal:
    return qs.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")


def refundable_amount(*, topup: TopUp) -> Decimal:
    """What is left of a top-up to refund: its amount minus refunds asked for or done."""
    return topup.amount - _sum(topup.refunds.filter(status__in=COUNTED_STATUSES))


def wallet_refundable_amount(*, user: Any, wallet_balance: Decimal) -> Decimal:
    """What the wallet still holds beyond refunds already on their way to the card."""
    return wallet_balance - _sum(Refund.objects.filter(user=user, status__in=OPEN_STATUSES))


def refund_limit(*, topup: TopUp) -> Decimal:
    wallet = wallet_account(topup.user)
    return max(
        Decimal("0.00"),
        min(refundable_amount(topup=topup), wallet_refundable_amount(user=topup.user, wallet_balance=wallet.balance)),
    )


@transaction.atomic(durable=True)
def refund_request(*, actor: Any, topup_id: int, amount: Any, reason: str, request: Any = None) -> Refund:
    """Ask for a refund of ``amount`` of a paid top-up to its card. Admin action, audited.

    Never more than the top-up paid (minus earlier refunds) nor more than the wallet still holds
    (minus refunds on their way). The Stripe request is sent after commit.
    """
    if not stripe_enabled():
        raise IntegrationNotConfigured("Card payments are not configured on this server, so nothing can be refunded.")
    reason = (reason or "").strip()
    if not reason:
        raise RefundRejected("Give a reason for the refund.")
    try:
        amount = money(amount)
    except ValueError:
        raise InvalidAmount()
    if amount <= 0:
        raise InvalidAmount("Enter an amount greater than zero.")
    topup = TopUp.objects.select_for_update(of=("self",)).filter(pk=topup_id).first()
    if topup is None:
        raise InvalidStateError("No such top-up.")
    if topup.status != TopUp.Status.PAID or not topup.stripe_payment_intent_id:
        raise RefundRejected("Only a paid top-up can be refunded.")
    # The wallet row lock serialises refund requests (and spending) of this client.
    wallet = accounts_lock([wallet_account(topup.user).pk])[wallet_account(topup.user).pk]
    left_on_topup = refundable_amount(topup=topup)
    if amount > left_on_topup:
        raise RefundRejected(f"At most ${left_on_topup} of this top-up can still be refunded.")
    in_wallet = wallet_refundable_amount(user=topup.user, wallet_balance=wallet.balance)
    if amount > in_wallet:
        raise RefundRejected(f"The wallet holds only ${max(in_wallet, Decimal('0.00'))} that can be refunded.")
    refund = Refund.objects.create(topup=topup, user=topup.user, amount=amount, reason=reason, requested_by=actor)
    audit_log_record(
        actor=actor,
        action="wallet.refund_requested",
        target=refund,
        details={"topup": topup.pk, "user": topup.user_id, "amount": str(amount), "reason": reason},
        request=request,
    )
    transaction.on_commit(partial(_enqueue_submit, refund.pk))
    return refund


def _enqueue_submit(refund_pk: int) -> None:
    from apps.wallet.tasks import refund_submit_task

    refund_submit_task.delay(refund_pk)


class RefundSubmitRetry(Exception):
    """Stripe could not be reached or answered with a server error: try again later."""


def refund_submit(*, refund_pk: int) -> Refund:
    """Send a pending refund to Stripe (idempotent: the key is derived from the row).

    A refusal from Stripe (4xx) fails the refund; a network or server error raises RefundSubmitRetry and
    the row stays pending for the next attempt.
    """
    refund = Refund.objects.select_related("topup").get(pk=refund_pk)
    if refund.status != Refund.Status.PENDING:
        return refund
    Refund.objects.filter(pk=refund_pk).update(submit_attempts=refund.submit_attempts + 1, updated_at=timezone.now())
    try:
        stripe_refund = stripe_gateway.refund_create(
            payment_intent_id=refund.topup.stripe_payment_intent_id,
            amount=refund.amount,
            metadata={"refund_id": str(refund.pk), "topup_id": str(refund.topup_id), "user_id": str(refund.user_id)},
            idempotency_key=refund.idempotency_key,
        )
    except (stripe_gateway.stripe.APIConnectionError, stripe_gateway.stripe.RateLimitError) as exc:
        raise RefundSubmitRetry(str(exc)) from exc
    except stripe_gateway.StripeError as exc:
        if exc.http_status is None or exc.http_status >= 500 or exc.http_status == 409:
            raise RefundSubmitRetry(str(exc)) from exc
        return _refund_refused(refund_pk=refund_pk, error=exc)
    Refund.objects.filter(pk=refund_pk, status=Refund.Status.PENDING).update(
        status=Refund.Status.SUBMITTED, stripe_refund_id=stripe_refund["id"], updated_at=timezone.now()
    )
    if stripe_refund.get("status") in STRIPE_STATUS:
        refund_apply_stripe_state(refund=stripe_refund)
    refund.refresh_from_db()
    return refund


@transaction.atomic(durable=True)
def _refund_refused(*, refund_pk: int, error: Any) -> Refund:
    refund = Refund.objects.select_for_update(of=("self",)).get(pk=refund_pk)
    if refund.status == Refund.Status.PENDING:
        refund.status = Refund.Status.FAILED
        refund.error = {"message": getattr(error, "user_message", None) or str(error), "code": error.code}
        refund.completed_at = timezone.now()
        refund.save(update_fields=["status", "error", "completed_at", "updated_at"])
        audit_log_record(actor=None, action="wallet.refund_refused", target=refund, details=refund.error)
    return refund


def _refund_for(stripe_refund: dict[str, Any]) -> Refund | None:
    """The Refund row of a Stripe refund, locked; created for a refund made outside this site
    (the Stripe Dashboard) when it refunds one of our top-ups. Caller holds the transaction."""
    locked = Refund.objects.select_for_update(of=("self",))
    refund = locked.filter(stripe_refund_id=stripe_refund["id"]).first()
    if refund is not None:
        return refund
    local_id = (stripe_refund.get("metadata") or {}).get("refund_id")
    if local_id:
        refund = locked.filter(pk=int(local_id)).first()
        if refund is not None:
            if refund.stripe_refund_id not in (None, stripe_refund["id"]):
                raise RefundRejected(f"Refund #{refund.pk} is already linked to {refund.stripe_refund_id}.")
            refund.stripe_refund_id = stripe_refund["id"]
            return refund
    payment_intent = stripe_refund.get("payment_intent")
    topup = TopUp.objects.filter(stripe_payment_intent_id=payment_intent).first() if payment_intent else None
    if topup is None:
        return None
    refund = Refund.objects.create(
        topup=topup,
        user_id=topup.user_id,
        amount=stripe_gateway.from_cents(stripe_refund["amount"]),
        reason="Refunded in the Stripe Dashboard",
        status=Refund.Status.SUBMITTED,
        stripe_refund_id=stripe_refund["id"],
        requested_by=None,
    )
    return refund


@transaction.atomic(durable=True)
def refund_apply_stripe_state(*, refund: dict[str, Any], stripe_event_id: str = "") -> Transaction | None:
    """Bring our Refund row to the state Stripe reports; on success debit the wallet once.

    Returns the ledger transaction of a succeeded refund (also when it was booked before).
    """
    row = _refund_for(refund)
    if row is None:
        logger.info("Stripe refund %s is not for a wallet top-up; ignored.", refund["id"])
        return None
    new_status = STRIPE_STATUS.get(refund.get("status") or "")
    idempotency_key = f"refund:{refund['id']}"
    if row.status == Refund.Status.SUCCEEDED:
        return Transaction.objects.filter(idempotency_key=idempotency_key).first()
    if new_status is None:
        if row.status == Refund.Status.PENDING:
            row.status = Refund.Status.SUBMITTED
        row.save(update_fields=["status", "stripe_refund_id", "updated_at"])
        return None
    if new_status != Refund.Status.SUCCEEDED:
        row.status = new_status
        row.error = {"message": refund.get("failure_reason") or f"Stripe reports the refund {new_status}."}
        row.completed_at = timezone.now()
        row.save(update_fields=["status", "error", "stripe_refund_id", "completed_at", "updated_at"])
        audit_log_record(actor=None, action=f"wallet.refund_{new_status}", target=row, details=row.error)
        return None

    amount = stripe_gateway.from_cents(refund["amount"])
    postings, from_wallet = money_returned_to_card_postings(user=row.user, amount=amount)
    txn = ledger_post(
        kind=TransactionKind.REFUND,
        idempotency_key=idempotency_key,
        postings=postings,
        user=row.user,
        actor=row.requested_by,
        memo="Refund to card",
        stripe_refund_id=refund["id"],
        stripe_payment_intent_id=row.topup.stripe_payment_intent_id,
        stripe_event_id=stripe_event_id,
    )
    row.status = Refund.Status.SUCCEEDED
    row.amount = amount
    row.completed_at = timezone.now()
    row.save(update_fields=["status", "amount", "stripe_refund_id", "completed_at", "updated_at"])
    audit_log_record(
        actor=None,
        action="wallet.refund_succeeded",
        target=row,
        details={
            "amount": str(amount),
            "from_wallet": str(from_wallet),
            "to_losses": str(amount - from_wallet),
            "stripe_refund": refund["id"],
            "transaction": txn.pk,
        },
    )
    return txn


def refunds_sync_from_charge(*, charge: dict[str, Any], stripe_event_id: str = "") -> int:
    """``charge.refunded``: apply every refund of the charge. Recent API versions leave ``charge.refunds``
    out of the event, so open refunds of the top-up are fetched from Stripe. Returns how many were applied."""
    listed = (charge.get("refunds") or {}).get("data") or []
    for stripe_refund in listed:
        refund_apply_stripe_state(refund=stripe_refund, stripe_event_id=stripe_event_id)
    seen = {r["id"] for r in listed}
    open_rows = Refund.objects.filter(
        topup__stripe_payment_intent_id=charge.get("payment_intent") or "-",
        status__in=OPEN_STATUSES,
        stripe_refund_id__isnull=False,
    ).exclude(stripe_refund_id__in=seen)
    count = len(listed)
    for stripe_refund_id in list(open_rows.values_list("stripe_refund_id", flat=True)):
        fetched = stripe_gateway.refund_retrieve(stripe_refund_id)
        refund_apply_stripe_state(refund=fetched, stripe_event_id=stripe_event_id)
        count += 1
    return count


def refunds_submit_pending() -> int:
    """Submit pending refunds whose task message was lost (the outbox sweep). Returns how many were enqueued."""
    cutoff = timezone.now() - timedelta(minutes=2)
    pks = list(
        Refund.objects.filter(status=Refund.Status.PENDING, updated_at__lt=cutoff).values_list("pk", flat=True)[:200]
    )
    for pk in pks:
        _enqueue_submit(pk)
    return len(pks)
