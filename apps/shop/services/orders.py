"""Orders: created from the cart, paid by Stripe Checkout or from the wallet, expired, shipped (docs/SHOP.md).

Stock: a physical product's ``stock`` is decremented under its row lock when an order is created (a Reservation
row holds the units, with the checkout's expiry); the units come back when the Checkout Session expires
(``checkout.session.expired``) or, failing that, when the sweep finds the order past ``expires_at`` plus a grace
period. So no two checkouts ever hold the same last unit.

Money: a paid order is ONE ledger transaction of kind ``shop_order`` keyed ``shop_order:<order id>``: the buyer's
money (``stripe:cash`` for a card payment, ``wallet:<buyer>`` for a wallet payment) to ``earnings:<reader>`` for
each line of a reader's product (``reader_share_postings``, at the reader's rate) and to ``platform:revenue`` for
the rest (other products, shipping, tax).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from apps.core.exceptions import IntegrationNotConfigured, InvalidInputError, InvalidStateError
from apps.core.integrations import stripe_enabled
from apps.core.parsing import id_or_none
from apps.core.services import audit_log_record
from apps.notifications.services import notify
from apps.wallet import stripe_gateway
from apps.wallet.enums import TransactionKind
from apps.wallet.models import Account, Transaction
from apps.wallet.services.ledger import house_account, ledger_post, wallet_account
from apps.wallet.services.shares import reader_share_postings
from apps.wallet.services.topups import PaymentProviderError

from .. import locks
from ..constants import ORDER_SUBJECT, PURPOSE
from ..enums import PAID_STATUSES, OrderStatus, PaymentMethod, ProductKind, ReservationStatus
from ..exceptions import (
    CartEmpty,
    InvalidShipment,
    NotForSale,
    OrderMismatch,
    OrderNotFound,
    OutOfStock,
    WalletNotAllowed,
)
from ..models import CartItem, Order, OrderItem, Product, Reservation
from ..notify import ORDER_PAID, ORDER_SHIPPED
from ..selectors import for_sale

logger = logging.getLogger(__name__)


def order_ledger_key(order: Order) -> str:
    return f"shop_order:{order.pk}"


def _client_key_clean(raw: Any) -> str:
    key = str(raw or "").strip()
    if not 8 <= len(key) <= 64 or not key.replace("-", "").isalnum():
        raise InvalidInputError("This checkout form is out of date; reload the cart and try again.")
    return key


def _order_from_cart(*, user: Any, client_key: str, method: Any, expires_at: datetime | None) -> tuple[Order, bool]:
    """Create the order and its lines from the cart, taking the stock of its physical items; (order, created).
    The order a racing submit of the same form created first is returned instead. Inner helper: the caller holds
    the transaction. Refused with nothing written: an empty cart, an item no longer for sale, a quantity above the
    stock."""
    product_ids = list(CartItem.objects.filter(user=user).values_list("product_id", flat=True))
    products = locks.products_lock(product_ids=product_ids)
    # Read again under the locks: a racing submit may have committed its order and emptied the cart meanwhile.
    existing = Order.objects.filter(user=user, client_key=client_key).first()
    if existing is not None:
        return existing, False
    cart = list(CartItem.objects.filter(user=user).order_by("product_id"))
    if not cart:
        raise CartEmpty()
    if {item.product_id for item in cart} - set(products):
        raise InvalidStateError("Your cart changed while checking out; please try again.")
    selling = {p.pk: p for p in for_sale().filter(pk__in=products)}
    lines = []
    for item in cart:
        product = selling.get(item.product_id)
        if product is None:
            name = products[item.product_id].name if item.product_id in products else "An item"
            raise NotForSale(f"{name} is no longer for sale; remove it from your cart.")
        locked = products[item.product_id]
        if product.kind == ProductKind.PHYSICAL and item.quantity > (locked.stock or 0):
            left = locked.stock or 0
            raise OutOfStock(
                f"{product.name} is sold out."
                if not left
                else f"Only {left} of {product.name} left; change the quantity."
            )
        lines.append((item, product, locked))
    has_physical = any(product.kind == ProductKind.PHYSICAL for _, product, _ in lines)
    if method == PaymentMethod.WALLET and has_physical:
        raise WalletNotAllowed()
    subtotal = sum((product.sale_amount * item.quantity for item, product, _ in lines), Decimal("0.00"))
    order = Order.objects.create(
        user=user,
        client_key=client_key,
        payment_method=method,
        has_physical=has_physical,
        subtotal_amount=subtotal,
        total_amount=subtotal,
        expires_at=expires_at,
    )
    for item, product, locked in lines:
        OrderItem.objects.create(
            order=order,
            product=product,
            stripe_price_id=product.sale_price_id,
            name=product.name,
            kind=product.kind,
            creator=product.creator,
            unit_amount=product.sale_amount,
            quantity=item.quantity,
            total_amount=product.sale_amount * item.quantity,
        )
        if product.kind == ProductKind.PHYSICAL:
            locked.stock = (locked.stock or 0) - item.quantity
            locked.save(update_fields=["stock"])
            Reservation.objects.create(
                order=order,
                product=product,
                quantity=item.quantity,
                expires_at=expires_at or timezone.now(),
                status=ReservationStatus.HELD if method == PaymentMethod.STRIPE else ReservationStatus.CONSUMED,
            )
    return order, True


@transaction.atomic(durable=True)
def _checkout_order_create(*, user: Any, client_key: str) -> tuple[Order, bool]:
    existing = Order.objects.filter(user=user, client_key=client_key).first()
    if existing is not None:
        return existing, False
    expires_at = timezone.now() + timedelta(minutes=settings.SHOP_CHECKOUT_MINUTES)
    order, created = _order_from_cart(
        user=user, client_key=client_key, method=PaymentMethod.STRIPE, expires_at=expires_at
    )
    if not created:
        return order, False
    audit_log_record(
        actor=user, action="shop.checkout_started", target=order, details={"total": str(order.total_amount)}
    )
    return order, True


def order_checkout_start(*, user: Any, client_key: Any, success_url: str, cancel_url: str) -> Order:
    """Create a pending order from the cart (stock reserved) and its Stripe Checkout Session; the caller redirects
    to ``order.checkout_url``. A second submit of the same form returns the first order. The Stripe request is
    made after the order commits, with an idempotency key derived from the order."""
    if not stripe_enabled():
        raise IntegrationNotConfigured("Card payments are not configured on this server.")
    order, created = _checkout_order_create(user=user, client_key=_client_key_clean(client_key))
    if not created and (order.checkout_url or order.status != OrderStatus.PENDING):
        return order
    assert order.expires_at is not None
    metadata = {"purpose": PURPOSE, "order_id": str(order.pk), "user_id": str(user.pk)}
    items = list(order.items.all())
    try:
        session = stripe_gateway.shop_checkout_session_create(
            line_items=[{"price": item.stripe_price_id, "quantity": item.quantity} for item in items],
            metadata=metadata,
            customer_email=user.email,
            shipping_countries=list(settings.SHOP_SHIPPING_COUNTRIES) if order.has_physical else None,
            shipping_rate_ids=list(settings.SHOP_SHIPPING_RATE_IDS),
            expires_at=int(order.expires_at.timestamp()),
            success_url=success_url,
            cancel_url=cancel_url,
            idempotency_key=f"shop-order-session:{order.pk}",
        )
    except stripe_gateway.StripeError as exc:
        logger.warning("Checkout Session for order %s failed: %s", order.pk, exc)
        order_cancel(order_id=order.pk, reason="checkout_failed")
        raise PaymentProviderError() from exc
    payment_intent = session.get("payment_intent") or ""
    Order.objects.filter(pk=order.pk).update(
        stripe_checkout_session_id=session["id"],
        stripe_payment_intent_id=payment_intent if isinstance(payment_intent, str) else payment_intent.get("id", ""),
        checkout_url=session.get("url") or "",
        updated_at=timezone.now(),
    )
    order.refresh_from_db()
    return order


def _postings(
    *, order: Order, source: Account, lines: list[tuple[OrderItem, Decimal]]
) -> list[tuple[Account, Decimal]]:
    """The postings paying ``order.total_amount`` out of ``source``: each reader's line split at their rate, the
    rest (other lines, shipping, tax) to the platform. One posting per account."""
    legs: dict[int, list[Any]] = {}

    def add(account: Account, amount: Decimal) -> None:
        leg = legs.setdefault(account.pk, [account, Decimal("0.00")])
        leg[1] += amount

    add(source, -order.total_amount)
    paid_to_readers = Decimal("0.00")
    for item, amount in lines:
        if item.creator_id is None or amount <= 0:
            continue
        shares = reader_share_postings(amount=amount, reader=item.creator, source_account=source)
        for account, leg in shares.postings[1:]:
            add(account, leg)
        paid_to_readers += amount
    rest = order.total_amount - paid_to_readers
    if rest:
        add(house_account("platform:revenue"), rest)
    return [(account, amount) for account, amount in legs.values() if amount]


def _paid_notify(order: Order) -> None:
    notify(
        user=order.user,
        kind=ORDER_PAID,
        title=f"Order #{order.pk} is paid",
        body=(
            "Your downloads are ready on the order page."
            if not order.has_physical
            else "We will tell you when it ships, with its tracking number."
        ),
        url=reverse("shop:order", args=[order.pk]),
        email=True,
    )


def _cart_clear(order: Order) -> None:
    CartItem.objects.filter(user=order.user_id, product_id__in=order.items.values("product_id")).delete()


@transaction.atomic(durable=True)
def order_wallet_pay(*, user: Any, client_key: Any) -> Order:
    """Buy the cart from the wallet (digital items only, at their Stripe prices): the order, its ledger transaction
    and the delivery in one database transaction. A second submit of the same form returns the first order."""
    client_key = _client_key_clean(client_key)
    existing = Order.objects.filter(user=user, client_key=client_key).first()
    if existing is not None:
        return existing
    order, created = _order_from_cart(user=user, client_key=client_key, method=PaymentMethod.WALLET, expires_at=None)
    if not created:
        return order
    items = list(order.items.select_related("creator"))
    ledger_post(
        kind=TransactionKind.SHOP_ORDER,
        idempotency_key=order_ledger_key(order),
        postings=_postings(order=order, source=wallet_account(user), lines=[(i, i.total_amount) for i in items]),
        user=user,
        actor=user,
        memo=f"Shop order #{order.pk}",
        subject_type=ORDER_SUBJECT,
        subject_id=order.pk,
    )
    now = timezone.now()
    order.status = OrderStatus.FULFILLED
    order.paid_at = order.fulfilled_at = now
    order.save(update_fields=["status", "paid_at", "fulfilled_at", "updated_at"])
    _cart_clear(order)
    audit_log_record(actor=user, action="shop.order_paid", target=order, details={"method": "wallet"})
    _paid_notify(order)
    return order


# --- Stripe Checkout events -------------------------------------------------------------------------------


def _session_order_id(session: dict[str, Any]) -> int | None:
    raw = str((session.get("metadata") or {}).get("order_id") or session.get("client_reference_id") or "")
    return id_or_none(raw)


def _order_for_session(session: dict[str, Any]) -> Order:
    """The order a Checkout Session pays for, locked, after checking the session names it. Caller holds the
    transaction."""
    order = locks.order_lock_by_session(session_id=session["id"])
    if order is None:
        # The session id is saved right after Stripe answers; a very fast payment can beat that save.
        order_id = _session_order_id(session)
        order = locks.order_lock(order_id=order_id) if order_id else None
        if order is None or order.stripe_checkout_session_id not in (None, ""):
            raise OrderMismatch(f"No order is waiting for Checkout Session {session['id']}.")
        order.stripe_checkout_session_id = session["id"]
    metadata = session.get("metadata") or {}
    if (
        str(metadata.get("order_id")) != str(order.pk)
        or str(metadata.get("user_id")) != str(order.user_id)
        or metadata.get("purpose") != PURPOSE
        or session.get("mode") != "payment"
        or (session.get("currency") or "").lower() != order.currency
    ):
        raise OrderMismatch(f"Checkout Session {session['id']} does not match order #{order.pk}.")
    return order


def _line_amounts(
    order: Order, items: list[OrderItem], line_items: list[dict[str, Any]]
) -> list[tuple[OrderItem, Decimal]]:
    """Each order line with what Stripe charged for it (after discounts), matched by price and quantity."""
    by_price: dict[str, dict[str, Any]] = {}
    for line in line_items:
        price = line.get("price")
        by_price[str(price.get("id") if isinstance(price, dict) else price)] = line
    if len(by_price) != len(items) or len(line_items) != len(items):
        raise OrderMismatch(f"The Checkout Session's lines do not match order #{order.pk}.")
    amounts = []
    for item in items:
        matched = by_price.get(item.stripe_price_id)
        if matched is None or int(matched.get("quantity") or 0) != item.quantity:
            raise OrderMismatch(f"The Checkout Session's lines do not match order #{order.pk}.")
        amounts.append((item, stripe_gateway.from_cents(int(matched["amount_total"]))))
    return amounts


def order_checkout_completed(session: dict[str, Any], stripe_event_id: str) -> Transaction | None:
    """``checkout.session.completed`` / ``async_payment_succeeded`` of a shop order (verified webhook): the order is
    paid once, whatever arrives twice or out of order. Amounts, currency and discounts come from the session and
    its line items (asked of Stripe, before the database transaction). None while the payment is not in."""
    if session.get("payment_status") not in ("paid", "no_payment_required"):
        return None
    line_items = stripe_gateway.checkout_session_line_items(session["id"])
    return _order_paid(session=session, line_items=line_items, stripe_event_id=stripe_event_id)


def _shipping(session: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    details = session.get("shipping_details") or (session.get("collected_information") or {}).get("shipping_details")
    if not isinstance(details, dict):
        return "", {}
    return str(details.get("name") or "")[:255], dict(details.get("address") or {})


def _promotion_code(session: dict[str, Any]) -> str:
    for discount in session.get("discounts") or []:
        code = discount.get("promotion_code") if isinstance(discount, dict) else None
        if isinstance(code, dict):
            return str(code.get("code") or code.get("id") or "")
        if code:
            return str(code)
    return ""


@transaction.atomic(durable=True)
def _order_paid(*, session: dict[str, Any], line_items: list[dict[str, Any]], stripe_event_id: str) -> Transaction:
    order = _order_for_session(session)
    key = order_ledger_key(order)
    if order.status in PAID_STATUSES or order.status == OrderStatus.REFUNDED:
        return Transaction.objects.get(idempotency_key=key)
    items = list(order.items.select_related("creator").order_by("pk"))
    lines = _line_amounts(order, items, line_items)
    details = session.get("total_details") or {}
    total = stripe_gateway.from_cents(int(session["amount_total"]))
    shipping = stripe_gateway.from_cents(int(details.get("amount_shipping") or 0))
    tax = stripe_gateway.from_cents(int(details.get("amount_tax") or 0))
    if sum((amount for _, amount in lines), Decimal("0.00")) + shipping + tax != total:
        raise OrderMismatch(f"Checkout Session {session['id']} totals do not add up for order #{order.pk}.")
    for item, amount in lines:
        item.total_amount = amount
        item.save(update_fields=["total_amount"])
    order.subtotal_amount = stripe_gateway.from_cents(int(session.get("amount_subtotal") or 0))
    order.discount_amount = stripe_gateway.from_cents(int(details.get("amount_discount") or 0))
    order.shipping_amount = shipping
    order.total_amount = total
    order.promotion_code = _promotion_code(session)[:255]
    order.shipping_name, order.shipping_address = _shipping(session)
    payment_intent = session.get("payment_intent") or order.stripe_payment_intent_id
    if isinstance(payment_intent, dict):
        payment_intent = payment_intent.get("id", "")
    order.stripe_payment_intent_id = payment_intent or ""
    txn = ledger_post(
        kind=TransactionKind.SHOP_ORDER,
        idempotency_key=key,
        postings=_postings(order=order, source=house_account("stripe:cash"), lines=lines),
        user=order.user,
        memo=f"Shop order #{order.pk}",
        subject_type=ORDER_SUBJECT,
        subject_id=order.pk,
        stripe_checkout_session_id=session["id"],
        stripe_payment_intent_id=order.stripe_payment_intent_id,
        stripe_event_id=stripe_event_id,
    )
    _reservations_consume(order)
    now = timezone.now()
    order.status = OrderStatus.PAID if order.has_physical else OrderStatus.FULFILLED
    order.paid_at = now
    if not order.has_physical:
        order.fulfilled_at = now
    order.save()
    _cart_clear(order)
    audit_log_record(
        actor=None,
        action="shop.order_paid",
        target=order,
        details={"method": "stripe", "checkout_session": session["id"], "total": str(total), "event": stripe_event_id},
    )
    _paid_notify(order)
    return txn


def _reservations_consume(order: Order) -> None:
    """The payment is in: held units are sold. Units released meanwhile (the sweep ran before the payment's
    webhook) are taken again, as far as the stock allows, and the shortfall audited. Caller holds the transaction."""
    reservations = locks.reservations_lock(order_id=order.pk)
    released = [r for r in reservations if r.status == ReservationStatus.RELEASED]
    if released:
        products = locks.products_lock(product_ids=[r.product_id for r in released])
        for reservation in released:
            product = products[reservation.product_id]
            short = max(0, reservation.quantity - (product.stock or 0))
            product.stock = max(0, (product.stock or 0) - reservation.quantity)
            product.save(update_fields=["stock"])
            if short:
                audit_log_record(
                    actor=None,
                    action="shop.order_oversold",
                    target=order,
                    details={"product": product.pk, "short": short},
                )
    Reservation.objects.filter(order=order).exclude(status=ReservationStatus.CONSUMED).update(
        status=ReservationStatus.CONSUMED, released_at=None
    )


def order_checkout_expired(session: dict[str, Any], stripe_event_id: str) -> Order | None:
    """``checkout.session.expired`` (or a delayed payment that failed): the pending order ends, its stock returns."""
    order_id = _session_order_id(session)
    if order_id is None:
        return None
    return order_cancel(order_id=order_id, reason="expired", session_id=session["id"])


@transaction.atomic(durable=True)
def order_cancel(*, order_id: int, reason: str, session_id: str = "") -> Order | None:
    """End a pending order and give its held stock back. An order paid meanwhile is left alone."""
    order = locks.order_lock(order_id=order_id)
    if order is None or (session_id and order.stripe_checkout_session_id not in (None, "", session_id)):
        return None
    if order.status != OrderStatus.PENDING:
        return order
    _reservations_release(order)
    order.status = OrderStatus.CANCELED
    order.save(update_fields=["status", "updated_at"])
    audit_log_record(actor=None, action="shop.order_canceled", target=order, details={"reason": reason})
    return order


def _reservations_release(order: Order) -> int:
    """Give back the stock an order holds. Caller holds the transaction and the order's lock."""
    held = [r for r in locks.reservations_lock(order_id=order.pk) if r.status == ReservationStatus.HELD]
    if not held:
        return 0
    locks.products_lock(product_ids=[r.product_id for r in held])
    now = timezone.now()
    for reservation in held:
        Product.objects.filter(pk=reservation.product_id).update(stock=F("stock") + reservation.quantity)
    Reservation.objects.filter(pk__in=[r.pk for r in held]).update(status=ReservationStatus.RELEASED, released_at=now)
    return len(held)


def reservations_release_expired(*, now: datetime | None = None) -> int:
    """The beat sweep: pending orders past ``expires_at`` plus the grace period end, and their stock returns
    (Stripe's ``checkout.session.expired`` normally does it first). Returns how many orders ended."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.SHOP_RESERVATION_GRACE_MINUTES)
    ids = list(
        Order.objects.filter(status=OrderStatus.PENDING, expires_at__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )
    count = 0
    for order_id in ids:
        order = order_cancel(order_id=order_id, reason="reservation_expired")
        if order is not None and order.status == OrderStatus.CANCELED:
            count += 1
    return count


# --- shipping -----------------------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def order_ship(*, actor: Any, order_id: int, carrier: str, tracking_number: str) -> Order:
    """An admin shipped the physical items: carrier and tracking recorded, the order fulfilled, the buyer emailed."""
    carrier, tracking_number = carrier.strip()[:64], tracking_number.strip()[:128]
    if not carrier or not tracking_number:
        raise InvalidShipment()
    order = locks.order_lock(order_id=order_id)
    if order is None:
        raise OrderNotFound()
    if not order.has_physical or order.status != OrderStatus.PAID:
        raise InvalidStateError("Only a paid order with physical items that has not shipped can be shipped.")
    now = timezone.now()
    order.carrier, order.tracking_number = carrier, tracking_number
    order.shipped_at = order.fulfilled_at = now
    order.status = OrderStatus.FULFILLED
    order.save(update_fields=["carrier", "tracking_number", "shipped_at", "fulfilled_at", "status", "updated_at"])
    audit_log_record(
        actor=actor,
        action="shop.order_shipped",
        target=order,
        details={"carrier": carrier, "tracking": tracking_number},
    )
    notify(
        user=order.user,
        kind=ORDER_SHIPPED,
        title=f"Order #{order.pk} has shipped",
        body=f"{carrier} tracking number: {tracking_number}",
        url=reverse("shop:order", args=[order.pk]),
        email=True,
    )
    return order
