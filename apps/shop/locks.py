"""Row locks of the shop, in primary-key order. Callers hold the transaction; lock these before any ledger posting."""

from collections.abc import Iterable

from .models import Order, Product, Reservation


def products_lock(*, product_ids: Iterable[int]) -> dict[int, Product]:
    """Lock products (their stock) in primary-key order, so two checkouts never deadlock."""
    rows = Product.objects.select_for_update(of=("self",)).filter(pk__in=set(product_ids)).order_by("pk")
    return {product.pk: product for product in rows}


def order_lock(*, order_id: int) -> Order | None:
    return Order.objects.select_for_update(of=("self",)).filter(pk=order_id).first()


def order_lock_by_session(*, session_id: str) -> Order | None:
    return Order.objects.select_for_update(of=("self",)).filter(stripe_checkout_session_id=session_id).first()


def reservations_lock(*, order_id: int) -> list[Reservation]:
    return list(Reservation.objects.select_for_update(of=("self",)).filter(order_id=order_id).order_by("pk"))
