"""Refunds of top-ups to the card.

An admin asks for a refund: in one transaction a pending Refund row is written with its audit row (outbox)
and the amount is reserved, wallet → ``hold:refund:<id>`` (``refund_hold``), so the client cannot spend
money that is on its way back to the card. The Stripe request is made after commit by a retrying job
(``refund_submit``) whose idempotency key is derived from the row, so a crash or a retry never refunds twice.

- Stripe reports the refund succeeded (``refund.*`` / ``charge.refunded``): the hold pays stripe:cash, in a
  ledger transaction keyed by the Stripe refund id (``refund``). A refund made in the Stripe Dashboard has no
  hold: the wallet pays what it holds and platform:losses the rest. A Dashboard refund of a payment that is no
  top-up is offered to the domains registered with ``stripe_unmatched_refund_register`` (a shop order's).
- Stripe refuses or fails the refund before it succeeded: the hold goes back to the wallet (``refund_hold_release``).
- Stripe reports a refund failed after it succeeded (the card network returned it): a reversing entry
  (``refund_reversal``, keyed ``refund-failure:<refund id>``) credits the wallet back.
A refund's status never moves backwards. A refund of a top-up not credited yet waits (``PaymentNotYetCredited``).
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone

from apps.core.exceptions import DomainError, IntegrationNotConfigured, InvalidStateError
from apps.core.integrations import stripe_enabled
from apps.core.models import OutboxMessage
from apps.core.outbox import outbox_enqueue, outbox_handler
from apps.core.parsing import id_or_none
from apps.core.services import audit_log_record
from apps.wallet import stripe_gateway
from apps.wallet.enums import TransactionKind
from apps.wallet.exceptions import InsufficientFunds, InvalidAmount
from apps.wallet.locks import accounts_lock, refunds_for_update, topups_for_update
from apps.wallet.models import Account, Refund, TopUp, Transaction
from apps.wallet.services.holds import hold_find, hold_fund, hold_release
from apps.wallet.services.ledger import (
    hold_account,
    house_account,
    ledger_post,
    money,
    money_returned_to_card_postings,
    wallet_account,
)
from apps.wallet.services.payments import PaymentNotYetCredited, PaymentRef, payment_ref_resolve, topup_for_payment
from apps.wallet.stripe_purposes import stripe_object_purpose, stripe_unmatched_refund_handlers

logger = logging.getLogger(__name__)

# The outbox message that sends one refund to Stripe.
REFUND_SUBMIT = "wallet.refund_submit"
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
    """What the wallet can give to a refund. Refunds on their way to the card are already out of it (in their
    holds), so this is the wallet's balance."""
    return wallet_balance


REFUND_SUBJECT = "refund"


def refund_hold_account(refund: Refund) -> Account:
    """``hold:refund:<id>``: the money of a refund on its way to the card."""
    return hold_account(REFUND_SUBJECT, refund.pk)


def refund_limit(*, topup: TopUp) -> Decimal:
    wallet = wallet_account(topup.user)
    return max(
        Decimal("0.00"),
        min(refundable_amount(topup=topup), wallet_refundable_amount(user=topup.user, wallet_balance=wallet.balance)),
    )


@transaction.atomic(durable=True)
def refund_request(*, actor: Any, topup_id: int, amount: Any, reason: str, request: Any = None) -> Refund:
    """Ask for a refund of ``amount`` of a paid top-up to its card. Admin action, audited.

    Never more than the top-up paid (minus earlier refunds) nor more than the wallet holds. The amount moves
    to the refund's hold in this transaction; the Stripe request is sent after commit.
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
    topup = topups_for_update().filter(pk=topup_id).first()
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
    try:
        hold_fund(
            subject_type=REFUND_SUBJECT,
            subject_id=refund.pk,
            payer=topup.user,
            amount=amount,
            kind=TransactionKind.REFUND_HOLD,
            idempotency_key=f"refund-hold:{refund.pk}",
            actor=actor,
            memo="Refund to card reserved",
            stripe_payment_intent_id=topup.stripe_payment_intent_id,
        )
    except InsufficientFunds:  # pragma: no cover - checked above under the same lock
        raise RefundRejected(f"The wallet holds only ${max(in_wallet, Decimal('0.00'))} that can be refunded.")
    audit_log_record(
        actor=actor,
        action="wallet.refund_requested",
        target=refund,
        details={"topup": topup.pk, "user": topup.user_id, "amount": str(amount), "reason": reason},
        request=request,
    )
    _submit_enqueue(refund.pk, dedupe_key=f"refund-submit:{refund.pk}")
    return refund


def _submit_enqueue(refund_pk: int, *, dedupe_key: str) -> None:
    """Record the outbox message that sends the refund to Stripe. Inner helper: the caller holds the transaction."""
    outbox_enqueue(name=REFUND_SUBMIT, kwargs={"refund_pk": refund_pk}, dedupe_key=dedupe_key)


class RefundSubmitRetry(Exception):
    """Stripe could not be reached or answered with a server error: try again later."""


@outbox_handler(REFUND_SUBMIT)
def refund_submit_message(*, refund_pk: int) -> None:
    """Outbox handler: send one refund to Stripe. ``RefundSubmitRetry`` propagates, and the outbox retries it
    with backoff; the same idempotency key on every attempt makes Stripe refund once."""
    refund_submit(refund_pk=refund_pk)


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
    refund = refunds_for_update().get(pk=refund_pk)
    if refund.status == Refund.Status.PENDING:
        refund.status = Refund.Status.FAILED
        refund.error = {"message": getattr(error, "user_message", None) or str(error), "code": error.code}
        refund.completed_at = timezone.now()
        refund.save(update_fields=["status", "error", "completed_at", "updated_at"])
        _hold_release(refund)
        audit_log_record(actor=None, action="wallet.refund_refused", target=refund, details=refund.error)
    return refund


def _hold_of(refund: Refund) -> Account | None:
    """The refund's hold account, or None for a refund that never had one (made in the Stripe Dashboard)."""
    return hold_find(REFUND_SUBJECT, refund.pk)


def _hold_release(refund: Refund) -> Transaction | None:
    """Give what the refund's hold still holds back to the wallet. Inner helper: the caller holds the transaction."""
    return hold_release(
        subject_type=REFUND_SUBJECT,
        subject_id=refund.pk,
        payer=refund.user,
        kind=TransactionKind.REFUND_HOLD_RELEASE,
        idempotency_key=f"refund-release:{refund.pk}",
        memo="Refund to card did not go through: money back in the wallet",
        stripe_refund_id=refund.stripe_refund_id or "",
    )


def _refund_known(stripe_refund: dict[str, Any]) -> bool:
    local_id = id_or_none((stripe_refund.get("metadata") or {}).get("refund_id"))
    return Refund.objects.filter(stripe_refund_id=stripe_refund["id"]).exists() or bool(
        local_id is not None and Refund.objects.filter(pk=local_id).exists()
    )


def _refund_for(stripe_refund: dict[str, Any], ref: PaymentRef | None) -> Refund | None:
    """The Refund row of a Stripe refund, locked; created for a refund made outside this site
    (the Stripe Dashboard) when it refunds one of our credited top-ups (``ref``, resolved before the
    transaction). Raises ``PaymentNotYetCredited`` for a top-up not credited yet. Caller holds the transaction."""
    locked = refunds_for_update()
    refund = locked.filter(stripe_refund_id=stripe_refund["id"]).first()
    if refund is not None:
        return refund
    local_id = id_or_none((stripe_refund.get("metadata") or {}).get("refund_id"))
    if local_id:
        refund = locked.filter(pk=int(local_id)).first()
        if refund is not None:
            if refund.stripe_refund_id not in (None, stripe_refund["id"]):
                raise RefundRejected(f"Refund #{refund.pk} is already linked to {refund.stripe_refund_id}.")
            refund.stripe_refund_id = stripe_refund["id"]
            return refund
    topup = topup_for_payment(ref) if ref is not None else None
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


def refund_apply_stripe_state(*, refund: dict[str, Any], stripe_event_id: str = "") -> Transaction | None:
    """Bring our Refund row to the state Stripe reports; on success debit the refund's hold once, on a
    failure after success credit the wallet back once.

    Returns the ledger transaction of a succeeded refund (also when it was booked before).

    A refund of a payment that is not a wallet top-up (made in the Stripe Dashboard of a shop order's charge) is
    offered to the handlers of ``stripe_unmatched_refund_register``; none taking it, it is ignored.
    """
    # Which payment a refund we never saw belongs to may need Stripe: asked before the transaction.
    ref = None if _refund_known(refund) else payment_ref_resolve(refund)
    try:
        return _refund_apply(refund=refund, ref=ref, stripe_event_id=stripe_event_id)
    except _NoTopUp:
        pass
    payment_intent_id = ref.payment_intent_id if ref is not None else ""
    if not _unmatched_refund_offer(refund, payment_intent_id, stripe_event_id):
        logger.info("Stripe refund %s is not for a wallet top-up; ignored.", refund["id"])
    return None


class _NoTopUp(Exception):
    """The refund is of no wallet top-up (its transaction, which wrote nothing, is rolled back)."""


def _unmatched_refund_offer(refund: dict[str, Any], payment_intent_id: str, stripe_event_id: str) -> bool:
    """Offer a refund of no wallet top-up to the domains that registered for one; whether one took it. Runs
    outside any transaction (each handler holds its own)."""
    return any(handler(refund, payment_intent_id, stripe_event_id) for handler in stripe_unmatched_refund_handlers())


@transaction.atomic(durable=True)
def _refund_apply(*, refund: dict[str, Any], ref: PaymentRef | None, stripe_event_id: str) -> Transaction | None:
    row = _refund_for(refund, ref)
    if row is None:
        raise _NoTopUp(refund["id"])
    new_status = STRIPE_STATUS.get(refund.get("status") or "")
    idempotency_key = f"refund:{refund['id']}"
    if row.status == Refund.Status.SUCCEEDED:
        if new_status == Refund.Status.FAILED:
            return _refund_reverse(row, refund, stripe_event_id)
        return Transaction.objects.filter(idempotency_key=idempotency_key).first()
    if row.status in (Refund.Status.FAILED, Refund.Status.CANCELED):
        return None  # Stripe already reported it failed or canceled: a refund's status never moves back.
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
        _hold_release(row)
        audit_log_record(actor=None, action=f"wallet.refund_{new_status}", target=row, details=row.error)
        return None

    amount = stripe_gateway.from_cents(refund["amount"])
    postings, from_hold, from_wallet = _refund_postings(row, amount)
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
            "from_hold": str(from_hold),
            "from_wallet": str(from_wallet),
            "to_losses": str(amount - from_hold - from_wallet),
            "stripe_refund": refund["id"],
            "transaction": txn.pk,
        },
    )
    return txn


def _refund_postings(row: Refund, amount: Decimal) -> tuple[list[tuple[Account, Decimal]], Decimal, Decimal]:
    """Postings of a succeeded refund: its hold pays first; what the hold lacks comes from the wallet and then
    platform:losses; what the hold has left over goes back to the wallet. Returns (postings, from hold, from
    wallet). Inner helper: the caller holds the transaction."""
    hold = _hold_of(row)
    if hold is None:
        postings, from_wallet = money_returned_to_card_postings(user=row.user, amount=amount)
        return postings, Decimal("0.00"), from_wallet
    wallet = wallet_account(row.user)
    held = accounts_lock([wallet.pk, hold.pk])[hold.pk].balance
    from_hold = min(amount, held)
    legs: dict[int, tuple[Account, Decimal]] = {}

    def add(account: Account, value: Decimal) -> None:
        legs[account.pk] = (account, legs.get(account.pk, (account, Decimal("0.00")))[1] + value)

    from_wallet = Decimal("0.00")
    if from_hold < amount:
        rest, from_wallet = money_returned_to_card_postings(user=row.user, amount=amount - from_hold)
        for account, value in rest:
            add(account, value)
    if from_hold:
        add(house_account("stripe:cash"), from_hold)
    if held:
        add(hold, -held)
    if held > from_hold:
        add(wallet, held - from_hold)
    return [(account, value) for account, value in legs.values() if value], from_hold, from_wallet


def _refund_reverse(row: Refund, refund: dict[str, Any], stripe_event_id: str) -> Transaction:
    """Stripe reports a refund failed after it succeeded: the money came back from the card network. A reversing
    entry gives the wallet what the refund took from it (and its hold) and platform:losses its part.
    Inner helper: the caller holds the transaction and the row lock."""
    booked = Transaction.objects.get(idempotency_key=f"refund:{refund['id']}")
    legs = {p.account.code: (p.account, p.amount) for p in booked.postings.select_related("account")}
    cash_account, cash = legs["stripe:cash"]
    losses = legs.get("platform:losses")
    to_losses = -losses[1] if losses else Decimal("0.00")
    postings: list[tuple[Account, Decimal]] = [(cash_account, -cash)]
    if cash - to_losses:
        postings.append((wallet_account(row.user), cash - to_losses))
    if losses:
        postings.append((losses[0], to_losses))
    txn = ledger_post(
        kind=TransactionKind.REFUND_REVERSAL,
        idempotency_key=f"refund-failure:{refund['id']}",
        postings=postings,
        user=row.user,
        memo="Refund to card returned by the card network",
        stripe_refund_id=refund["id"],
        stripe_payment_intent_id=row.topup.stripe_payment_intent_id,
        stripe_event_id=stripe_event_id,
    )
    row.status = Refund.Status.FAILED
    row.error = {"message": refund.get("failure_reason") or "Stripe reports the refund failed after it succeeded."}
    row.completed_at = timezone.now()
    row.save(update_fields=["status", "error", "completed_at", "updated_at"])
    audit_log_record(
        actor=None,
        action="wallet.refund_reversed",
        target=row,
        details={
            "amount": str(cash),
            "to_wallet": str(cash - to_losses),
            "to_losses": str(to_losses),
            "stripe_refund": refund["id"],
            "transaction": txn.pk,
            "stripe_event_id": stripe_event_id,
        },
    )
    return txn


def refunds_sync_from_charge(*, charge: dict[str, Any], stripe_event_id: str = "") -> int:
    """``charge.refunded``: apply every refund of the charge, as Stripe lists them (recent API versions leave
    ``charge.refunds`` out of the event). Waits (``PaymentNotYetCredited``) while the top-up is not credited.
    Returns how many were applied."""
    ref = payment_ref_resolve(charge)
    topup = TopUp.objects.filter(pk=ref.topup_id).first() if ref.topup_id else None
    if topup is None:
        return _unmatched_refunds_of_charge(ref, stripe_event_id)  # Not a wallet top-up.
    if topup.status != TopUp.Status.PAID:
        raise PaymentNotYetCredited(
            payment_intent_id=ref.payment_intent_id or topup.stripe_payment_intent_id,
            charge_id=ref.charge_id,
            topup_id=topup.pk,
        )
    count = 0
    for stripe_refund in stripe_gateway.refunds_of_charge(ref.charge_id):
        refund_apply_stripe_state(refund=stripe_refund, stripe_event_id=stripe_event_id)
        count += 1
    return count


def _unmatched_refunds_of_charge(ref: PaymentRef, stripe_event_id: str) -> int:
    """``charge.refunded`` of a charge that is no wallet top-up: offer its refunds that name no purpose of their
    own (made in the Stripe Dashboard) to the domains that registered for them. Returns how many one took."""
    if not (ref.charge_id and stripe_unmatched_refund_handlers()):
        return 0
    count = 0
    for stripe_refund in stripe_gateway.refunds_of_charge(ref.charge_id):
        if stripe_object_purpose(stripe_refund):
            continue  # a refund this platform made: its own events reach its purpose's handlers
        payment_intent_id = ref.payment_intent_id or str(stripe_refund.get("payment_intent") or "")
        if _unmatched_refund_offer(stripe_refund, payment_intent_id, stripe_event_id):
            count += 1
    return count


def refunds_adopt() -> int:
    """Give an outbox message to every pending refund that has none (refunds asked for before submission moved
    onto the outbox, whose Celery messages the old sweep re-sent). Safe to run again. Returns how many."""
    has_message = OutboxMessage.objects.annotate(target=KT("kwargs__refund_pk")).filter(
        name=REFUND_SUBMIT, target=Cast(OuterRef("pk"), output_field=CharField())
    )
    pending = Refund.objects.filter(status=Refund.Status.PENDING).exclude(Exists(has_message))
    pks = list(pending.order_by("pk").values_list("pk", flat=True))
    for pk in pks:
        _adopt(pk)
    return len(pks)


@transaction.atomic(durable=True)
def _adopt(refund_pk: int) -> None:
    _submit_enqueue(refund_pk, dedupe_key=f"refund-submit-adopt:{refund_pk}")


def refunds_finished() -> Any:
    """The refunds Stripe finished (succeeded, failed, canceled): their holds must hold nothing any more
    (the hold subject ``refund``, checked by the ledger check ``finished_subject_holds_nothing``)."""
    return Refund.objects.filter(status__in=(Refund.Status.SUCCEEDED, Refund.Status.FAILED, Refund.Status.CANCELED))
