"""Wallet top-ups by card through Stripe Checkout.

A top-up is a TopUp row (pending) plus a Checkout Session. The wallet is credited by ONE function,
``topup_credit``, keyed by the Checkout Session id ("topup:<cs_id>"). The ``checkout.session.completed``
(when paid) and ``checkout.session.async_payment_succeeded`` webhooks and the success page all call it;
the TopUp row lock and the ledger's idempotency key make it credit exactly once whatever arrives first,
twice, or out of order. ``payment_intent.succeeded`` never credits.
"""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.core.exceptions import DomainError, IntegrationNotConfigured
from apps.core.integrations import stripe_enabled
from apps.core.outbox import outbox_enqueue
from apps.core.services import audit_log_record
from apps.wallet import stripe_gateway
from apps.wallet.enums import FreezeSource, TransactionKind
from apps.wallet.exceptions import AccountFrozen, InvalidAmount
from apps.wallet.locks import topups_for_update
from apps.wallet.models import Account, StripeEvent, TopUp, Transaction
from apps.wallet.services.ledger import house_account, ledger_post, wallet_account

logger = logging.getLogger(__name__)

# The outbox message that processes one stored Stripe event (its handler lives in services/webhooks.py).
STRIPE_EVENT_PROCESS = "wallet.stripe_event_process"


class TopUpMismatch(DomainError):
    default_message = "The payment does not match the top-up it claims to pay for."


class PaymentProviderError(DomainError):
    default_message = "Card payments are unavailable right now. Nothing was charged; please try again shortly."


def topup_limits() -> tuple[Decimal, Decimal]:
    return Decimal(settings.WALLET_TOPUP_MIN), Decimal(settings.WALLET_TOPUP_MAX)


def topup_presets() -> list[Decimal]:
    low, high = topup_limits()
    return [amount for amount in (Decimal(p) for p in settings.WALLET_TOPUP_PRESETS) if low <= amount <= high]


def topup_amount_clean(raw: Any) -> Decimal:
    """The amount a client typed or chose, as dollars and cents within the configured limits."""
    try:
        amount = Decimal(str(raw).strip().lstrip("$").replace(",", ""))
    except (InvalidOperation, ValueError):
        raise InvalidAmount()
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise InvalidAmount()
    low, high = topup_limits()
    if not low <= amount <= high:
        raise InvalidAmount(f"Choose an amount between ${low} and ${high}.")
    return amount.quantize(Decimal("0.01"))


def _wallet_frozen_source(user: Any) -> str | None:
    """What froze the user's wallet, or None when it is not frozen."""
    return (
        Account.objects.filter(code=f"wallet:{user.pk}", is_frozen=True).values_list("frozen_source", flat=True).first()
    )


@transaction.atomic(durable=True)
def _topup_create(*, user: Any, amount: Decimal) -> TopUp:
    topup = TopUp(user=user, amount=amount)
    topup.full_clean()
    topup.save()
    audit_log_record(actor=user, action="wallet.topup_started", target=topup, details={"amount": str(amount)})
    return topup


def topup_start(*, user: Any, amount: Any, success_url: str, cancel_url: str) -> TopUp:
    """Create a pending top-up and its Checkout Session; the caller redirects to ``topup.checkout_url``.

    ``success_url`` should contain ``{CHECKOUT_SESSION_ID}``, which Stripe fills in.
    The Stripe request is made after the TopUp row is committed (no network call inside a transaction);
    its idempotency key is derived from the TopUp id, so a retried request creates one session only.
    """
    if not stripe_enabled():
        raise IntegrationNotConfigured("Card payments are not configured on this server.")
    amount = topup_amount_clean(amount)
    frozen_source = _wallet_frozen_source(user)
    if frozen_source == FreezeSource.DISPUTE:
        raise AccountFrozen("Your wallet is frozen while a payment dispute is open, so it cannot be topped up.")
    if frozen_source is not None:
        raise AccountFrozen(
            "Your wallet is frozen, so it cannot be topped up. Please contact us through the Help Center."
        )
    topup = _topup_create(user=user, amount=amount)
    try:
        session = stripe_gateway.checkout_session_create(
            amount=topup.amount,
            topup_id=topup.pk,
            user_id=user.pk,
            customer_email=user.email,
            success_url=success_url,
            cancel_url=cancel_url,
            idempotency_key=f"topup-session:{topup.pk}",
        )
    except stripe_gateway.StripeError as exc:
        logger.warning("Checkout Session for top-up %s failed: %s", topup.pk, exc)
        TopUp.objects.filter(pk=topup.pk, status=TopUp.Status.PENDING).update(
            status=TopUp.Status.FAILED, updated_at=timezone.now()
        )
        raise PaymentProviderError() from exc
    TopUp.objects.filter(pk=topup.pk).update(
        stripe_checkout_session_id=session["id"],
        stripe_payment_intent_id=session.get("payment_intent") or "",
        checkout_url=session.get("url") or "",
        updated_at=timezone.now(),
    )
    topup.refresh_from_db()
    return topup


def _topup_for_session(session: dict[str, Any]) -> TopUp:
    """The TopUp a Checkout Session pays for, locked. Caller holds the transaction."""
    locked = topups_for_update()
    topup = locked.filter(stripe_checkout_session_id=session["id"]).first()
    if topup is None:
        # The session id is saved right after Stripe answers; a very fast payment can beat that save.
        topup_id = (session.get("metadata") or {}).get("topup_id") or session.get("client_reference_id")
        topup = locked.filter(pk=int(topup_id), stripe_checkout_session_id__isnull=True).first() if topup_id else None
        if topup is None:
            raise TopUpMismatch(f"No top-up is waiting for Checkout Session {session['id']}.")
        topup.stripe_checkout_session_id = session["id"]
    metadata = session.get("metadata") or {}
    if (
        str(metadata.get("topup_id")) != str(topup.pk)
        or str(metadata.get("user_id")) != str(topup.user_id)
        or session.get("mode") != "payment"
        or (session.get("currency") or "").lower() != topup.currency
        or session.get("amount_total") != stripe_gateway.to_cents(topup.amount)
    ):
        raise TopUpMismatch(f"Checkout Session {session['id']} does not match top-up #{topup.pk}.")
    return topup


@transaction.atomic(durable=True)
def topup_credit(*, session: dict[str, Any], source: str, stripe_event_id: str = "") -> Transaction | None:
    """Credit the wallet for a paid Checkout Session, exactly once. Returns the ledger transaction, or
    None while the session is not paid yet (the top-up is then marked processing).

    ``session`` is the Checkout Session as Stripe sent it (verified webhook) or returned it (success page).
    Postings: stripe:cash → wallet:<user>. A frozen wallet is still credited: the money was taken.
    """
    topup = _topup_for_session(session)
    idempotency_key = f"topup:{session['id']}"
    if topup.status == TopUp.Status.PAID:
        return Transaction.objects.get(idempotency_key=idempotency_key)
    if session.get("payment_status") != "paid":
        if session.get("status") == "complete" and topup.status == TopUp.Status.PENDING:
            topup.status = TopUp.Status.PROCESSING
            topup.save(update_fields=["status", "stripe_checkout_session_id", "updated_at"])
        return None

    payment_intent_id = session.get("payment_intent") or topup.stripe_payment_intent_id
    if isinstance(payment_intent_id, dict):
        payment_intent_id = payment_intent_id["id"]
    txn = ledger_post(
        kind=TransactionKind.TOP_UP,
        idempotency_key=idempotency_key,
        postings=[(house_account("stripe:cash"), -topup.amount), (wallet_account(topup.user), topup.amount)],
        user=topup.user,
        memo="Card top-up",
        stripe_checkout_session_id=session["id"],
        stripe_payment_intent_id=payment_intent_id or "",
        stripe_event_id=stripe_event_id,
    )
    topup.status = TopUp.Status.PAID
    topup.paid_at = timezone.now()
    topup.stripe_payment_intent_id = payment_intent_id or ""
    topup.save(
        update_fields=["status", "paid_at", "stripe_payment_intent_id", "stripe_checkout_session_id", "updated_at"]
    )
    _pending_events_release(topup)
    audit_log_record(
        actor=None,
        action="wallet.topup_credited",
        target=topup,
        details={
            "amount": str(topup.amount),
            "checkout_session": session["id"],
            "transaction": txn.pk,
            "source": source,
            "stripe_event_id": stripe_event_id,
        },
    )
    return txn


def _pending_events_release(topup: TopUp) -> int:
    """Stripe events that waited for this top-up (a refund or dispute that came first) are processed again as
    soon as its credit commits: RECEIVED, with an outbox message to process each, in this transaction, so
    neither a broker outage nor a crash loses them. Inner helper: the caller holds the transaction."""
    condition = Q(pk__in=[])
    if topup.stripe_payment_intent_id:
        condition |= Q(payment_intent_id=topup.stripe_payment_intent_id)
    if topup.stripe_charge_id:
        condition |= Q(charge_id=topup.stripe_charge_id)
    waiting = StripeEvent.objects.filter(condition, status=StripeEvent.Status.PENDING)
    pks = list(waiting.values_list("pk", flat=True))
    if pks:
        StripeEvent.objects.filter(pk__in=pks, status=StripeEvent.Status.PENDING).update(
            status=StripeEvent.Status.RECEIVED, next_attempt_at=None, updated_at=timezone.now()
        )
        for pk in pks:
            outbox_enqueue(
                name=STRIPE_EVENT_PROCESS, kwargs={"event_pk": pk}, dedupe_key=f"stripe-event-release:{pk}:{topup.pk}"
            )
    return len(pks)


@transaction.atomic(durable=True)
def topup_close(*, session: dict[str, Any], status: str, stripe_event_id: str = "") -> TopUp | None:
    """A Checkout Session expired, or its delayed payment failed: the unpaid top-up ends. A paid one stays paid."""
    if status not in (TopUp.Status.FAILED, TopUp.Status.EXPIRED):
        raise ValueError(status)
    try:
        topup = _topup_for_session(session)
    except TopUpMismatch:
        return None
    if topup.status in (TopUp.Status.PENDING, TopUp.Status.PROCESSING):
        topup.status = status
        topup.save(update_fields=["status", "stripe_checkout_session_id", "updated_at"])
        audit_log_record(
            actor=None,
            action=f"wallet.topup_{status}",
            target=topup,
            details={"checkout_session": session["id"], "stripe_event_id": stripe_event_id},
        )
    return topup


def topup_refresh(*, topup: TopUp) -> TopUp:
    """Ask Stripe for the top-up's Checkout Session and credit it if it is paid (the success page).

    The same credit function as the webhooks, so whichever comes first credits and the other finds it done.
    """
    if topup.status == TopUp.Status.PAID or not topup.stripe_checkout_session_id:
        return topup
    if not stripe_enabled():
        return topup
    try:
        session = stripe_gateway.checkout_session_retrieve(topup.stripe_checkout_session_id)
    except stripe_gateway.StripeError as exc:
        logger.warning("Could not retrieve Checkout Session %s: %s", topup.stripe_checkout_session_id, exc)
        return topup
    if session.get("status") == "expired":
        topup_close(session=session, status=TopUp.Status.EXPIRED)
    else:
        topup_credit(session=session, source="success_page")
    topup.refresh_from_db()
    return topup
