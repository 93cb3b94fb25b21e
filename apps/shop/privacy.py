"""Personal data of the shop (see ``apps/core/privacy.py``): a person's orders with their items, refunds and
shipping, and their cart. Deletion waits while an order is being paid, a paid physical order has not shipped, or
a refund is in progress. Orders stay afterwards (the ledger and Stripe refer to them) without the shipping name
and address; the cart is emptied. A reader's products are Stripe's catalog: they stay, naming the anonymised user."""

from typing import Any

from apps.core.privacy import PersonalData, personal_data_register

from .enums import OrderStatus, RefundStatus
from .models import CartItem, Order, OrderItem, OrderRefund

ORDER_FIELDS = (
    "id",
    "status",
    "payment_method",
    "currency",
    "subtotal_amount",
    "discount_amount",
    "shipping_amount",
    "total_amount",
    "refunded_amount",
    "promotion_code",
    "shipping_name",
    "shipping_address",
    "carrier",
    "tracking_number",
    "created_at",
    "paid_at",
    "shipped_at",
    "fulfilled_at",
)


def _export(user: Any) -> dict[str, Any]:
    orders = list(Order.objects.filter(user=user).order_by("created_at", "pk").values(*ORDER_FIELDS))
    ids = [order["id"] for order in orders]
    items: dict[int, list[dict[str, Any]]] = {}
    for item in (
        OrderItem.objects.filter(order_id__in=ids)
        .order_by("pk")
        .values("order_id", "name", "kind", "quantity", "unit_amount")
    ):
        items.setdefault(item.pop("order_id"), []).append(item)
    refunds: dict[int, list[dict[str, Any]]] = {}
    for refund in (
        OrderRefund.objects.filter(order_id__in=ids)
        .order_by("pk")
        .values("order_id", "amount", "reason", "status", "created_at")
    ):
        refunds.setdefault(refund.pop("order_id"), []).append(refund)
    for order in orders:
        order["items"] = items.get(order["id"], [])
        order["refunds"] = refunds.get(order["id"], [])
    cart = list(CartItem.objects.filter(user=user).order_by("pk").values("product__name", "quantity"))
    return {"orders": orders, "cart": cart}


def _erase(user: Any) -> None:
    Order.objects.filter(user=user).update(shipping_name="", shipping_address={})
    CartItem.objects.filter(user=user).delete()


def _blockers(user: Any) -> list[str]:
    orders = Order.objects.filter(user=user)
    reasons = []
    if orders.filter(status=OrderStatus.PENDING).exists():
        reasons.append("A shop order is waiting for its payment: finish or abandon the checkout first.")
    if orders.filter(status=OrderStatus.PAID, has_physical=True, shipped_at__isnull=True).exists():
        reasons.append("A shop order is waiting to be shipped to you.")
    if OrderRefund.objects.filter(
        order__user=user, status__in=(RefundStatus.REQUESTED, RefundStatus.SUBMITTED)
    ).exists():
        reasons.append("A refund of a shop order is in progress.")
    return reasons


personal_data_register(
    PersonalData(
        key="shop.orders",
        export=_export,
        erase=_erase,
        blockers=_blockers,
        models=("shop.Order", "shop.OrderItem", "shop.OrderRefund", "shop.CartItem", "shop.Product"),
    )
)
