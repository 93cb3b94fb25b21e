"""Row locks of the shop. Callers hold the transaction; lock these before any ledger posting.

The fixed order, so that no two use cases wait on each other: an order, then its refunds, then its reservations,
then products (several of a kind in primary-key order)."""

from collections.abc import Iterable

from .models import Order, OrderRefund, Product, Reservation


def products_lock(*, product_ids: Iterable[int]) -> dict[int, Product]:
    """Lock products (their stock) in primary-key order, so two checkouts never deadlock."""
    rows = Product.objects.select_for_update(of=("self",)).filter(pk__in=set(product_ids)).order_by("pk")
    return {product.pk: product for product in rows}


def order_lock(*, order_id: int) -> Order | None:
    return Order.objects.select_for_update(of=("self",)).filter(pk=order_id).first()


def order_lock_by_session(*, session_id: str) -> Order | None:
    return Order.objects.select_for_update(of=("self",)).filter(stripe_checkout_session_id=session_id).first()


def order_lock_by_payment_intent(*, payment_intent_id: str) -> Order | None:
    return (
        Order.objects.select_for_update(of=("self",))
        .filter(stripe_payment_intent_id=payment_intent_id)
        .order_by("pk")
        .first()
    )


def order_refund_lock_by_stripe_id(*, order: Order, stripe_refund_id: str) -> OrderRefund | None:
    """Lock the refund Stripe knows as ``stripe_refund_id``, of ``order``, whose lock the caller holds (taken
    first); the refund's ``order`` is that locked order."""
    refund = OrderRefund.objects.select_for_update(of=("self",)).filter(stripe_refund_id=stripe_refund_id).first()
    if refund is not None and refund.order_id == order.pk:
        refund.order = order
    return refund


def order_refund_lock(*, refund_id: int) -> OrderRefund | None:
    """Lock a refund's order, then the refund (every refund path takes the two in this order: our own refunds'
    submission and Stripe events, and refunds made in the Stripe Dashboard). The refund's ``order`` is the locked
    order. A refund never moves to another order, so its order read before the locks is the one it has."""
    order_id = OrderRefund.objects.filter(pk=refund_id).values_list("order_id", flat=True).first()
    if order_id is None:
        return None
    order = order_lock(order_id=order_id)
    refund = OrderRefund.objects.select_for_update(of=("self",)).filter(pk=refund_id).first()
    if order is None or refund is None:
        return None
    refund.order = order
    return refund


def reservations_lock(*, order_id: int) -> list[Reservation]:
    return list(Reservation.objects.select_for_update(of=("self",)).filter(order_id=order_id).order_by("pk"))
