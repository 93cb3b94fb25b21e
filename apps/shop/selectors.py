"""Reads of the shop. A product is for sale only while it and its default price are active in Stripe (as last
mirrored): ``for_sale`` is the one definition, used by the pages, the cart and checkout."""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery

from apps.core.parsing import id_or_none

from .enums import PAID_STATUSES, OrderStatus
from .exceptions import OrderNotFound, ProductNotFound
from .models import CartItem, CatalogSync, Order, Price, Product


def _sale_prices() -> QuerySet[Price]:
    return Price.objects.filter(
        product=OuterRef("pk"),
        stripe_price_id=OuterRef("default_price_id"),
        is_active=True,
        is_deleted=False,
        is_one_time=True,
        currency="usd",
        unit_amount__isnull=False,
    )


def for_sale(qs: QuerySet[Product] | None = None) -> QuerySet[Product]:
    """Products for sale now, each annotated with ``sale_price_id`` and ``sale_amount``."""
    prices = _sale_prices()
    qs = Product.objects.all() if qs is None else qs
    return (
        qs.filter(is_active=True, is_deleted=False)
        .annotate(
            sale_price_id=Subquery(prices.values("stripe_price_id")[:1]),
            sale_amount=Subquery(prices.values("unit_amount")[:1]),
        )
        .filter(sale_price_id__isnull=False)
    )


def product_list(*, category: str = "", search: str = "") -> QuerySet[Product]:
    qs = for_sale().select_related("creator__reader_profile")
    if category:
        qs = qs.filter(category=category)
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(description__icontains=search))
    return qs.order_by("name", "pk")


def category_list() -> list[str]:
    return list(for_sale().exclude(category="").order_by("category").values_list("category", flat=True).distinct())


def product_get(*, product_id: int) -> Product:
    product = for_sale().select_related("creator__reader_profile").filter(pk=product_id).first()
    if product is None:
        raise ProductNotFound()
    return product


def cart_list(*, viewer: Any) -> list[CartItem]:
    """The viewer's cart; each line's ``product`` is annotated as ``for_sale`` when still for sale, else None
    (``line.unavailable``)."""
    items = list(CartItem.objects.filter(user=viewer).select_related("product"))
    selling = {p.pk: p for p in for_sale(Product.objects.filter(pk__in=[i.product_id for i in items]))}
    for item in items:
        item.sale = selling.get(item.product_id)  # type: ignore[attr-defined]
    return items


def order_list(*, viewer: Any) -> QuerySet[Order]:
    return Order.objects.filter(user=viewer).exclude(status=OrderStatus.CANCELED).prefetch_related("items")


def order_get(*, viewer: Any, order_id: int) -> Order:
    order = Order.objects.filter(user=viewer, pk=order_id).prefetch_related("items__product").first()
    if order is None:
        raise OrderNotFound()
    return order


def order_downloadable_item_get(*, viewer: Any, order_id: int, item_id: int) -> Any:
    """A digital item of one of the viewer's paid orders (else NotFound)."""
    order = order_get(viewer=viewer, order_id=order_id)
    item = order.items.filter(pk=item_id, kind="digital").select_related("product").first()
    if item is None or order.status not in PAID_STATUSES:
        raise OrderNotFound()
    return order, item


# --- admins ---------------------------------------------------------------------------------------------


def _staff(viewer: Any) -> None:
    if not getattr(viewer, "is_staff", False):
        raise OrderNotFound()


def product_list_for_admin(*, viewer: Any) -> QuerySet[Product]:
    _staff(viewer)
    prices = _sale_prices()
    return (
        Product.objects.annotate(sale_amount=Subquery(prices.values("unit_amount")[:1]))
        .select_related("creator")
        .order_by("-is_active", "name", "pk")
    )


def catalog_sync_last() -> CatalogSync | None:
    return CatalogSync.objects.first()


def order_list_for_admin(*, viewer: Any, status: str = "", method: str = "", search: str = "") -> QuerySet[Order]:
    _staff(viewer)
    qs = Order.objects.select_related("user").prefetch_related("items")
    if status:
        qs = qs.filter(status=status)
    if method:
        qs = qs.filter(payment_method=method)
    if (order_id := id_or_none(search)) is not None:
        qs = qs.filter(pk=order_id)
    elif search:
        qs = qs.filter(user__email__icontains=search)
    return qs


def order_get_for_admin(*, viewer: Any, order_id: int) -> Order:
    _staff(viewer)
    order = Order.objects.select_related("user").prefetch_related("items", "refunds").filter(pk=order_id).first()
    if order is None:
        raise OrderNotFound()
    return order


def order_staff_summary(*, viewer: Any) -> dict[str, Any]:
    """Counts for the admin dashboard: paid orders waiting to ship, and the last catalog sync."""
    _staff(viewer)
    return {
        "to_ship": Order.objects.filter(status=OrderStatus.PAID, has_physical=True).count(),
        "sync": catalog_sync_last(),
    }
