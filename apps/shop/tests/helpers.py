"""Helpers for shop tests: products created in the local Stripe and mirrored here, checkouts paid by webhook."""

from __future__ import annotations

from typing import Any

from apps.shop.models import Order, Product
from apps.shop.services.cart import cart_set
from apps.shop.services.catalog import catalog_event_apply
from apps.shop.services.orders import order_checkout_start
from apps.wallet.services.webhooks import stripe_events_process_received
from apps.wallet.tests.stripe_flows import deliver
from apps.wallet.tests.stripe_server import StripeTestServer

SUCCESS_URL = "http://testserver/shop/orders/?checkout=done"
CANCEL_URL = "http://testserver/shop/cart/"


def stripe_product(
    server: StripeTestServer,
    name: str = "Moon journal (PDF)",
    *,
    cents: int = 1000,
    kind: str = "digital",
    stock: int | None = None,
    reader: Any = None,
    category: str = "",
) -> Product:
    """A product created in Stripe and mirrored here (as its product.created webhook does)."""
    metadata = {"kind": kind}
    if kind == "digital":
        metadata["file_key"] = f"shop/{name.lower().replace(' ', '-')}.pdf"
    if stock is not None:
        metadata["stock"] = str(stock)
    if reader is not None:
        metadata["reader_id"] = str(reader.pk)
    if category:
        metadata["category"] = category
    data = server.product_create(name, unit_amount=cents, metadata=metadata)
    catalog_event_apply(data, "evt_test_setup")
    catalog_event_apply(server.prices[data["default_price"]], "evt_test_setup")
    return Product.objects.get(stripe_product_id=data["id"])


_keys = iter(range(10**6))


def checkout(user: Any, *lines: tuple[Product, int]) -> Order:
    for product, quantity in lines:
        cart_set(user=user, product_id=product.pk, quantity=quantity)
    return order_checkout_start(
        user=user, client_key=f"test-key-{next(_keys):08d}", success_url=SUCCESS_URL, cancel_url=CANCEL_URL
    )


def pay(client: Any, server: StripeTestServer, order: Order, **choices: Any) -> Order:
    """The buyer pays on Checkout and Stripe's signed checkout.session.completed webhook is processed."""
    assert order.stripe_checkout_session_id
    if order.has_physical:
        choices.setdefault(
            "shipping_address",
            {
                "line1": "1 Main St",
                "city": "Austin",
                "postal_code": "78701",
                "country": "US",
                "state": "TX",
                "line2": "",
            },
        )
        choices.setdefault("shipping_name", "Ada Buyer")
    session = server.shop_session_pay(order.stripe_checkout_session_id, **choices)
    response = deliver(client, server, "checkout.session.completed", session)
    assert response.status_code == 200, response.content
    stripe_events_process_received()
    order.refresh_from_db()
    return order
