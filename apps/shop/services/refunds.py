"""Refunds of shop orders, by an admin (audited): the money back, the ledger reversed in proportion, stock returned.

A wallet-paid order is refunded to the wallet at once. A card-paid order is refunded to the card through the
outbox (``shop.refund_submit``, with a Stripe idempotency key per refund, so a re-run refunds once); its ledger
reversal is posted when Stripe accepts the refund, keyed by the Stripe refund id (``refund:<id>``, kind
``refund``, so the wallet's reconciliation matches it with Stripe's refund).

Stripe's refund events about a shop refund (``refund.*``, ``charge.refund.updated``; the refund's metadata names
the purpose ``shop_order``) reach ``order_refund_stripe_event``. A refund Stripe reports failed (or canceled) after
it was booked is undone by ONE reversing entry (kind ``refund_reversal``, key ``refund-failure:<stripe refund id>``):
the order's refundable amount and status come back and the admins are told. One reported failed before it was
booked (or refused by Stripe) is marked failed with nothing posted. A refund's status never moves back from failed.

Stock: a refund with ``restock`` returns the order's physical items to stock and records what it returned
(``OrderRefund.restocked``). When it fails or comes back the sale stands again, so that much is taken back out of
stock, once (``OrderRefund.unstocked``), never below zero: units sold meanwhile stay sold and the admins are told
the shortfall.

Locks: every path takes the order's row lock, then the refund's (``locks.order_refund_lock``), then the products'.

A refund made in the Stripe Dashboard (no metadata) reaches ``order_refund_dashboard_event`` through the wallet,
which finds no top-up for it: matched to its order by the PaymentIntent, it is booked like our own (an
``OrderRefund`` made for it), once; one larger than what is left is not posted and the admins are told.
"""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import F
from django.urls import reverse

from apps.core.models import AuditLog
from apps.core.outbox import outbox_enqueue
from apps.core.parsing import id_or_none
from apps.core.services import audit_log_record
from apps.notifications.services import notify, notify_admins
from apps.wallet import stripe_gateway
from apps.wallet.enums import TransactionKind
from apps.wallet.models import Account, Posting, Transaction
from apps.wallet.services.ledger import house_account, ledger_post, wallet_account

from .. import locks
from ..constants import ORDER_SUBJECT, PURPOSE
from ..enums import PAID_STATUSES, OrderStatus, PaymentMethod, ProductKind, RefundStatus
from ..exceptions import InvalidRefund, OrderNotFound
from ..models import Order, OrderRefund, Product
from ..notify import DASHBOARD_REFUND, ORDER_REFUNDED, REFUND_RETURNED, REFUND_RETURNED_TO_BUYER
from .orders import order_ledger_key

logger = logging.getLogger(__name__)

REFUND_SUBMIT = "shop.refund_submit"
# Stripe refund statuses that mean the money did not reach (or came back from) the card.
STRIPE_FAILED = ("failed", "canceled")


def _amount_clean(raw: Any) -> Decimal:
    try:
        amount = Decimal(str(raw).strip().lstrip("$"))
    except (InvalidOperation, ValueError):
        raise InvalidRefund("Enter the amount to refund in dollars and cents.")
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise InvalidRefund("Enter the amount to refund in dollars and cents.")
    return amount


def _reversal_postings(*, order: Order, amount: Decimal, payee: Account) -> list[tuple[Account, Decimal]]:
    """Take ``amount`` back from whoever the order paid, in proportion (floor to the cent for readers, the rest
    from the platform), and pay it to ``payee``. Caller holds the transaction."""
    paid = Transaction.objects.get(idempotency_key=order_ledger_key(order))
    legs = list(Posting.objects.filter(transaction=paid, amount__gt=0).select_related("account").order_by("pk"))
    postings: list[tuple[Account, Decimal]] = [(payee, amount)]
    taken = Decimal("0.00")
    revenue = house_account("platform:revenue")
    for leg in legs:
        if leg.account_id == revenue.pk:
            continue
        share = (leg.amount * amount / order.total_amount).quantize(Decimal("0.01"), rounding="ROUND_FLOOR")
        if share:
            postings.append((leg.account, -share))
            taken += share
    if amount - taken:
        postings.append((revenue, -(amount - taken)))
    return postings


@transaction.atomic(durable=True)
def order_refund_request(*, actor: Any, order_id: int, amount: Any, reason: str, restock: bool) -> OrderRefund:
    """An admin refunds ``amount`` of a paid order (at most what is left), optionally returning its physical
    items to stock. Audited; the buyer is told."""
    amount = _amount_clean(amount)
    reason = (reason or "").strip()[:255]
    if not reason:
        raise InvalidRefund("Say why the order is refunded.")
    order = locks.order_lock(order_id=order_id)
    if order is None:
        raise OrderNotFound()
    if order.status not in PAID_STATUSES:
        raise InvalidRefund("Only a paid order can be refunded.")
    left = order.total_amount - order.refunded_amount
    if amount > left:
        raise InvalidRefund(f"At most ${left} of this order is left to refund.")
    refund = OrderRefund.objects.create(order=order, amount=amount, restock=restock, reason=reason, requested_by=actor)
    _order_refunded_add(order, amount)
    if restock:
        refund.restocked = _stock_return(order, refund=refund)
        refund.save(update_fields=["restocked", "updated_at"])
    if order.payment_method == PaymentMethod.WALLET:
        ledger_post(
            kind=TransactionKind.REFUND,
            idempotency_key=f"shop-refund:{refund.pk}",
            postings=_reversal_postings(order=order, amount=amount, payee=wallet_account(order.user)),
            user=order.user,
            actor=actor,
            memo=f"Refund of shop order #{order.pk}",
            subject_type=ORDER_SUBJECT,
            subject_id=order.pk,
        )
        refund.status = RefundStatus.SUCCEEDED
        refund.save(update_fields=["status", "updated_at"])
    else:
        outbox_enqueue(name=REFUND_SUBMIT, kwargs={"refund_id": refund.pk}, dedupe_key=f"shop-refund:{refund.pk}")
    audit_log_record(
        actor=actor,
        action="shop.order_refunded",
        target=order,
        details={
            "refund": refund.pk,
            "amount": str(amount),
            "restock": restock,
            "restocked": refund.restocked,
            "reason": reason,
        },
    )
    notify(
        user=order.user,
        kind=ORDER_REFUNDED,
        title=f"Order #{order.pk}: ${amount} refunded",
        body="To your wallet." if order.payment_method == PaymentMethod.WALLET else "To the card you paid with.",
        url=reverse("shop:order", args=[order.pk]),
        email=True,
    )
    return refund


def _stock_return(order: Order, *, refund: OrderRefund) -> dict[str, int]:
    """Return the order's physical items to stock (the products whose stock is counted), under the products' locks,
    except the units an earlier refund of the order already returned and still stands by (not taken back out): two
    partial refunds that both return the items return them once. Returns what ``refund`` returned,
    {product id: units}. Inner helper: the caller holds the transaction and the order's lock."""
    units: dict[int, int] = {}
    for item in order.items.filter(kind=ProductKind.PHYSICAL):
        units[item.product_id] = units.get(item.product_id, 0) + item.quantity
    for earlier in order.refunds.exclude(pk=refund.pk).filter(unstocked__isnull=True).exclude(restocked={}):
        for key, returned in earlier.restocked.items():
            if int(key) in units:
                units[int(key)] -= returned
    units = {product_id: count for product_id, count in units.items() if count > 0}
    products = locks.products_lock(product_ids=units)
    restocked: dict[str, int] = {}
    for product_id in sorted(units):
        if products[product_id].stock is None:
            continue
        Product.objects.filter(pk=product_id).update(stock=F("stock") + units[product_id])
        restocked[str(product_id)] = units[product_id]
    return restocked


def _stock_take_back(refund: OrderRefund) -> list[dict[str, Any]]:
    """The refund failed or came back, so the sale stands again: take what it returned to stock back out, once
    (recorded in ``unstocked``), under the products' locks. Never below zero: units sold meanwhile stay sold.
    Returns the shortfall, one entry per product that had fewer units on hand than the refund returned. Inner
    helper: the caller holds the transaction and the locks of the refund's order, then the refund."""
    if refund.unstocked is not None or not refund.restocked:
        return []
    products = locks.products_lock(product_ids=[int(key) for key in refund.restocked])
    unstocked: dict[str, int] = {}
    shortfall: list[dict[str, Any]] = []
    for key, returned in sorted(refund.restocked.items(), key=lambda pair: int(pair[0])):
        product = products[int(key)]
        if product.stock is None:  # its stock is no longer counted: nothing to take back
            unstocked[key] = 0
            continue
        taken = min(returned, product.stock)
        if taken:
            product.stock -= taken
            product.save(update_fields=["stock"])
        unstocked[key] = taken
        if taken < returned:
            shortfall.append({"product": product.pk, "name": product.name, "returned": returned, "taken": taken})
    refund.unstocked = unstocked
    refund.save(update_fields=["unstocked", "updated_at"])
    return shortfall


def _stock_sentence(refund: OrderRefund, shortfall: list[dict[str, Any]]) -> str:
    """What undoing the refund did to stock, for the admins."""
    if not refund.restocked:
        return ""
    if not shortfall:
        return " The items the refund returned to stock are taken back out of stock."
    short = "; ".join(
        f"{entry['returned'] - entry['taken']} × {entry['name']} ({entry['returned']} returned to stock, "
        f"only {entry['taken']} on hand to take back)"
        for entry in shortfall
    )
    return (
        " The items the refund returned to stock are taken back out of stock, but some were sold meanwhile, so "
        f"stock is short: {short}. Those units cannot be shipped from stock; check the orders that bought them."
    )


def order_refund_submit(*, refund_id: int) -> OrderRefund:
    """Outbox handler body: ask Stripe for the refund (idempotency key per refund), then book it. Raises while
    Stripe cannot be reached (the outbox retries); a refusal marks the refund failed and gives the amount back to
    what is refundable."""
    refund = OrderRefund.objects.select_related("order").get(pk=refund_id)
    if refund.status != RefundStatus.REQUESTED:
        return refund
    try:
        stripe_refund = stripe_gateway.refund_create(
            payment_intent_id=refund.order.stripe_payment_intent_id,
            amount=refund.amount,
            metadata={"purpose": "shop_order", "order_id": str(refund.order_id), "shop_refund_id": str(refund.pk)},
            idempotency_key=f"shop-refund:{refund.pk}",
        )
    except stripe_gateway.StripeError as exc:
        status = exc.http_status or 0
        if 400 <= status < 500 and status != 429:
            return _refund_refused(refund_id=refund.pk, error=str(exc))
        raise
    return _refund_booked(refund_id=refund.pk, stripe_refund=stripe_refund)


@transaction.atomic(durable=True)
def _refund_booked(*, refund_id: int, stripe_refund: dict[str, Any]) -> OrderRefund:
    refund = locks.order_refund_lock(refund_id=refund_id)
    assert refund is not None  # a refund is never deleted
    if refund.status != RefundStatus.REQUESTED:
        return refund
    return _book(refund, stripe_refund)


def _book(refund: OrderRefund, stripe_refund: dict[str, Any], stripe_event_id: str = "") -> OrderRefund:
    """Stripe accepted the refund: post the reversal to the card (key ``refund:<stripe refund id>``). Inner helper:
    the caller holds the transaction and the locks of the refund's order, then the refund, and the refund is
    REQUESTED."""
    order = refund.order
    ledger_post(
        kind=TransactionKind.REFUND,
        idempotency_key=f"refund:{stripe_refund['id']}",
        postings=_reversal_postings(order=order, amount=refund.amount, payee=house_account("stripe:cash")),
        user=order.user,
        memo=f"Refund of shop order #{order.pk}",
        subject_type=ORDER_SUBJECT,
        subject_id=order.pk,
        stripe_refund_id=stripe_refund["id"],
        stripe_payment_intent_id=order.stripe_payment_intent_id,
        stripe_event_id=stripe_event_id,
    )
    refund.stripe_refund_id = stripe_refund["id"]
    refund.status = RefundStatus.SUCCEEDED if stripe_refund.get("status") == "succeeded" else RefundStatus.SUBMITTED
    refund.save(update_fields=["stripe_refund_id", "status", "updated_at"])
    return refund


@transaction.atomic(durable=True)
def _refund_refused(*, refund_id: int, error: str) -> OrderRefund:
    refund = locks.order_refund_lock(refund_id=refund_id)
    assert refund is not None  # a refund is never deleted
    if refund.status != RefundStatus.REQUESTED:
        return refund
    return _fail_unbooked(refund, error=error)


def _order_refund_undo(refund: OrderRefund) -> Order:
    """Give the refund's amount back to what the order may still refund, and its status back accordingly. Inner
    helper: the caller holds the transaction and the locks of the refund's order (``refund.order``), then the
    refund."""
    order = refund.order
    _order_refunded_add(order, -refund.amount)
    return order


def _order_refunded_add(order: Order, amount: Decimal) -> None:
    """Add ``amount`` (negative to give it back) to what the order has refunded, and set its status from that:
    refunded in full, in part, or paid (fulfilled if it was) again. Inner helper: the caller holds the order's lock."""
    order.refunded_amount += amount
    if order.refunded_amount == order.total_amount:
        order.status = OrderStatus.REFUNDED
    elif order.refunded_amount:
        order.status = OrderStatus.PARTIALLY_REFUNDED
    else:
        order.status = OrderStatus.FULFILLED if order.fulfilled_at else OrderStatus.PAID
    order.save(update_fields=["refunded_amount", "status", "updated_at"])


def _fail_unbooked(refund: OrderRefund, *, error: str, stripe_refund_id: str = "") -> OrderRefund:
    """A refund Stripe refused or failed before it was booked: nothing was posted, so nothing is reversed; the
    amount is refundable again and what it returned to stock is taken back out (the admins are told of a
    shortfall). Inner helper: the caller holds the transaction and the locks of the refund's order, then the
    refund."""
    order = _order_refund_undo(refund)
    shortfall = _stock_take_back(refund)
    refund.status, refund.error = RefundStatus.FAILED, error[:500]
    refund.stripe_refund_id = stripe_refund_id or refund.stripe_refund_id
    refund.save(update_fields=["status", "error", "stripe_refund_id", "updated_at"])
    audit_log_record(
        actor=None,
        action="shop.refund_failed",
        target=order,
        details={"refund": refund.pk, "error": error[:200], "unstocked": refund.unstocked, "stock_short": shortfall},
    )
    if shortfall:
        notify_admins(
            kind=REFUND_RETURNED,
            title=f"Order #{order.pk}: a ${refund.amount} card refund failed and stock is short",
            body=(
                f"The ${refund.amount} card refund of order #{order.pk} failed ({error[:200]}), so nothing was "
                "refunded and the amount can be refunded again." + _stock_sentence(refund, shortfall)
            ),
            url=reverse("staff_shop:order", args=[order.pk]),
            email=True,
        )
    return refund


def _refund_for_event(stripe_refund: dict[str, Any]) -> OrderRefund | None:
    """The OrderRefund of a Stripe refund, found by its Stripe id, else by the ``shop_refund_id`` its metadata names
    (an event that arrives before the refund was booked), and locked with its order (the order's lock first). Inner
    helper: the caller holds the transaction."""
    refund_id = OrderRefund.objects.filter(stripe_refund_id=stripe_refund["id"]).values_list("pk", flat=True).first()
    if refund_id is None:
        metadata = stripe_refund.get("metadata") or {}
        local_id = id_or_none(metadata.get("shop_refund_id"))
        if local_id is None:
            return None
        named = OrderRefund.objects.filter(pk=local_id, order_id=id_or_none(metadata.get("order_id")))
        refund_id = named.values_list("pk", flat=True).first()
        if refund_id is None:
            return None
    refund = locks.order_refund_lock(refund_id=refund_id)
    # Re-checked under the lock: the refund may have been booked (with this Stripe id or another) meanwhile.
    if refund is not None and refund.stripe_refund_id not in ("", stripe_refund["id"]):
        raise InvalidRefund(f"Shop refund #{refund.pk} is already linked to {refund.stripe_refund_id}.")
    return refund


def order_refund_stripe_event(stripe_refund: dict[str, Any], stripe_event_id: str) -> OrderRefund | None:
    """Stripe reports the state of a shop refund (``refund.created`` / ``.updated`` / ``.failed``,
    ``charge.refund.updated``; routed here by the refund's purpose). Idempotent, and a refund's status never moves
    back from failed:

    - failed or canceled after it was booked (the card network returned the money): one reversing entry
      (``refund-failure:<stripe refund id>``), the order's refundable amount and status back, the admins told;
    - failed or canceled before it was booked: marked failed, nothing posted, the amount refundable again;
    - accepted (pending or succeeded) before the submission booked it: booked here (the submission then finds it
      done); succeeded after pending: marked succeeded.
    """
    return _refund_event_apply(stripe_refund=stripe_refund, stripe_event_id=stripe_event_id)


@transaction.atomic(durable=True)
def _refund_event_apply(*, stripe_refund: dict[str, Any], stripe_event_id: str) -> OrderRefund | None:
    refund = _refund_for_event(stripe_refund)
    if refund is None:
        logger.info("Stripe refund %s names no shop refund here; ignored.", stripe_refund.get("id"))
        return None
    return _refund_state_apply(refund, stripe_refund, stripe_event_id)


def _refund_state_apply(refund: OrderRefund, stripe_refund: dict[str, Any], stripe_event_id: str) -> OrderRefund:
    """Bring a shop refund to the state Stripe reports (see ``order_refund_stripe_event``). Inner helper: the
    caller holds the transaction and the locks of the refund's order (``refund.order``), then the refund."""
    status = str(stripe_refund.get("status") or "")
    if refund.status == RefundStatus.FAILED:
        return refund  # Stripe already reported it failed (or refused it): a late success changes nothing.
    if "amount" in stripe_refund and stripe_gateway.from_cents(stripe_refund["amount"]) != refund.amount:
        raise InvalidRefund(f"Stripe refund {stripe_refund['id']} is not the amount of shop refund #{refund.pk}.")
    failure = str(stripe_refund.get("failure_reason") or "") or f"Stripe reports the refund {status}."
    if refund.status == RefundStatus.REQUESTED:
        if status in STRIPE_FAILED:
            return _fail_unbooked(refund, error=failure, stripe_refund_id=stripe_refund["id"])
        return _book(refund, stripe_refund, stripe_event_id)
    if status in STRIPE_FAILED:
        return _reverse(refund, stripe_refund, failure=failure, stripe_event_id=stripe_event_id)
    if status == "succeeded" and refund.status == RefundStatus.SUBMITTED:
        refund.status = RefundStatus.SUCCEEDED
        refund.save(update_fields=["status", "updated_at"])
    return refund


def _reverse(refund: OrderRefund, stripe_refund: dict[str, Any], *, failure: str, stripe_event_id: str) -> OrderRefund:
    """A booked refund came back (Stripe reports it failed or canceled): one entry reversing the booked one, so the
    platform and the readers have again what the refund took from them, and stripe:cash what it paid; what it
    returned to stock is taken back out (the shortfall, if units were sold meanwhile, told to the admins). Inner
    helper: the caller holds the transaction and the locks of the refund's order, then the refund; the refund is
    SUBMITTED or SUCCEEDED."""
    order = _order_refund_undo(refund)
    shortfall = _stock_take_back(refund)
    booked = Transaction.objects.get(idempotency_key=f"refund:{refund.stripe_refund_id}")
    postings = [(p.account, -p.amount) for p in booked.postings.select_related("account").order_by("pk")]
    txn = ledger_post(
        kind=TransactionKind.REFUND_REVERSAL,
        idempotency_key=f"refund-failure:{refund.stripe_refund_id}",
        postings=postings,
        user=order.user,
        memo=f"Refund of shop order #{order.pk} returned by the card network",
        subject_type=ORDER_SUBJECT,
        subject_id=order.pk,
        stripe_refund_id=refund.stripe_refund_id,
        stripe_payment_intent_id=order.stripe_payment_intent_id,
        stripe_event_id=stripe_event_id,
    )
    refund.status, refund.error = RefundStatus.FAILED, f"Returned after it was made: {failure}"[:500]
    refund.save(update_fields=["status", "error", "updated_at"])
    audit_log_record(
        actor=None,
        action="shop.refund_reversed",
        target=order,
        details={
            "refund": refund.pk,
            "amount": str(refund.amount),
            "stripe_refund": refund.stripe_refund_id,
            "failure_reason": failure[:200],
            "transaction": txn.pk,
            "stripe_event_id": stripe_event_id,
            "unstocked": refund.unstocked,
            "stock_short": shortfall,
        },
    )
    notify_admins(
        kind=REFUND_RETURNED,
        title=f"Order #{order.pk}: a ${refund.amount} card refund came back"
        + (" and stock is short" if shortfall else ""),
        body=(
            f"Stripe reports that refund {refund.stripe_refund_id} of ${refund.amount} failed after it was made "
            f"({failure}): the money did not reach the buyer's card. The ledger is reversed and the amount can be "
            "refunded again; contact the buyer." + _stock_sentence(refund, shortfall)
        ),
        url=reverse("staff_shop:order", args=[order.pk]),
        email=True,
    )
    notify(
        user=order.user,
        kind=REFUND_RETURNED_TO_BUYER,
        title=f"Order #{order.pk}: your ${refund.amount} refund did not reach your card",
        body=(
            f"Your card's bank sent back the ${refund.amount} refund of order #{order.pk}, so the money did not "
            "reach your card. Our support team will contact you to sort it out; you can also contact support "
            "yourself from the help center."
        ),
        url=reverse("pages:contact"),
        email=True,
    )
    return refund


DASHBOARD_REASON = "Refunded in the Stripe Dashboard"


def order_refund_dashboard_event(stripe_refund: dict[str, Any], payment_intent_id: str, stripe_event_id: str) -> bool:
    """A refund made in the Stripe Dashboard (no metadata; offered by the wallet, which found no top-up for it):
    when its PaymentIntent paid a shop order, it is booked like one of our own refunds, once. Returns whether the
    refund is a shop order's.

    - first seen accepted (pending or succeeded): an ``OrderRefund`` made for it (no requester, reason "Refunded
      in the Stripe Dashboard", nothing returned to stock), the same proportional reversal (key
      ``refund:<stripe refund id>``), the order's refunded amount and status, audited, the admins and the buyer
      told;
    - more than the order has left to refund: nothing posted, audited and the admins told (once per Stripe
      refund) to look at it;
    - of an order whose payment is not processed here yet: ``DashboardRefundWaiting`` (the event is retried);
    - first seen failed or canceled: nothing to book;
    - already booked: its state applied like any shop refund's (a failure after it was booked is reversed).

    Under the order's row lock, then the refund's (the order every refund path takes, ``locks.order_refund_lock``),
    so two deliveries at once book it once, and a Dashboard refund's event and one of our own refunds' events
    about the same order wait for each other instead of deadlocking.
    """
    if not payment_intent_id or not stripe_refund.get("id"):
        return False
    if not Order.objects.filter(stripe_payment_intent_id=payment_intent_id).exists():
        _order_not_yet_paid_check(stripe_refund)
        return False
    _dashboard_refund_apply(stripe_refund=stripe_refund, payment_intent_id=payment_intent_id, event=stripe_event_id)
    return True


# An order in these states took no money here (yet): a Dashboard refund of its charge waits for its payment.
UNPAID_STATUSES = (OrderStatus.PENDING, OrderStatus.CANCELED)


class DashboardRefundWaiting(Exception):
    """A Dashboard refund of an order whose payment is not processed here yet: its event fails and the outbox tries
    it again (with backoff; the admins are told if it keeps failing) until the payment is."""


def _order_not_yet_paid_check(stripe_refund: dict[str, Any]) -> None:
    """Raise ``DashboardRefundWaiting`` when the refund's charge names (in its metadata) an order of ours that is not
    paid here yet (its events came before the payment's). Asks Stripe for the charge: never inside a transaction."""
    charge = stripe_refund.get("charge")
    if isinstance(charge, str) and charge:
        charge = stripe_gateway.charge_retrieve(charge)
    metadata = charge.get("metadata") if isinstance(charge, dict) else None
    if not isinstance(metadata, dict) or metadata.get("purpose") != PURPOSE:
        return
    order = Order.objects.filter(pk=id_or_none(metadata.get("order_id"))).first()
    if order is not None and order.status in UNPAID_STATUSES:
        raise DashboardRefundWaiting(
            f"Stripe refund {stripe_refund['id']} is of order #{order.pk}, whose payment is not processed yet."
        )


@transaction.atomic(durable=True)
def _dashboard_refund_apply(*, stripe_refund: dict[str, Any], payment_intent_id: str, event: str) -> None:
    order = locks.order_lock_by_payment_intent(payment_intent_id=payment_intent_id)
    assert order is not None  # an order's PaymentIntent is never taken away
    stripe_refund_id = str(stripe_refund["id"])
    refund = locks.order_refund_lock_by_stripe_id(order=order, stripe_refund_id=stripe_refund_id)
    if refund is not None:
        assert refund.order_id == order.pk  # booked on the order its PaymentIntent names, the one locked
        _refund_state_apply(refund, stripe_refund, event)
        return
    status = str(stripe_refund.get("status") or "")
    if status in STRIPE_FAILED:
        logger.info(
            "Stripe refund %s of order #%s is %s and was never booked: nothing to do.",
            stripe_refund_id,
            order.pk,
            status,
        )
        return
    if order.status in UNPAID_STATUSES:  # the refund's events came before the payment's: wait for it
        raise DashboardRefundWaiting(f"Stripe refund {stripe_refund_id} is of order #{order.pk}, not paid here yet.")
    amount = stripe_gateway.from_cents(stripe_refund.get("amount") or 0)
    left = order.total_amount - order.refunded_amount
    if amount <= 0 or amount > left:
        problem = f"only ${left} of the order was left to refund"
        _dashboard_refund_unbooked(order, stripe_refund_id=stripe_refund_id, amount=amount, problem=problem)
        return
    refund = OrderRefund.objects.create(
        order=order, amount=amount, restock=False, reason=DASHBOARD_REASON, requested_by=None
    )
    _order_refunded_add(order, amount)
    refund.order = order
    _book(refund, stripe_refund, event)
    audit_log_record(
        actor=None,
        action="shop.order_refunded",
        target=order,
        details={
            "refund": refund.pk,
            "amount": str(amount),
            "restock": False,
            "reason": DASHBOARD_REASON,
            "stripe_refund": stripe_refund_id,
            "stripe_event_id": event,
        },
    )
    notify_admins(
        kind=DASHBOARD_REFUND,
        title=f"Order #{order.pk}: ${amount} refunded in the Stripe Dashboard",
        body=(
            f"Stripe refund {stripe_refund_id} of ${amount} was made in the Stripe Dashboard. It is booked on the "
            f"order (now {order.get_status_display().lower()}, ${order.refunded_amount} refunded); nothing was "
            "returned to stock."
        ),
        url=reverse("staff_shop:order", args=[order.pk]),
        email=True,
    )
    notify(
        user=order.user,
        kind=ORDER_REFUNDED,
        title=f"Order #{order.pk}: ${amount} refunded",
        body="To the card you paid with.",
        url=reverse("shop:order", args=[order.pk]),
        email=True,
    )


def _dashboard_refund_unbooked(order: Order, *, stripe_refund_id: str, amount: Decimal, problem: str) -> None:
    """A Dashboard refund the order cannot take: nothing posted; audited and the admins told, once per Stripe
    refund. Inner helper: the caller holds the transaction and the order's row lock."""
    action = "shop.dashboard_refund_unbooked"
    if AuditLog.objects.filter(action=action, details__stripe_refund=stripe_refund_id).exists():
        return
    audit_log_record(
        actor=None,
        action=action,
        target=order,
        details={"stripe_refund": stripe_refund_id, "amount": str(amount), "problem": problem},
    )
    notify_admins(
        kind=DASHBOARD_REFUND,
        title=f"Order #{order.pk}: a ${amount} Stripe Dashboard refund is not booked",
        body=(
            f"Stripe refund {stripe_refund_id} of ${amount} was made in the Stripe Dashboard, but {problem}, so "
            "nothing was posted. Check the order against Stripe and record what is right with an adjustment."
        ),
        url=reverse("staff_shop:order", args=[order.pk]),
        email=True,
    )
