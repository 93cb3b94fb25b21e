"""The catalog mirrored from Stripe: webhooks in any order and the sync command converge; archived is not for sale."""

import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from apps.shop.exceptions import NotForSale, ProductNotFound
from apps.shop.models import Price, Product
from apps.shop.selectors import for_sale, product_list
from apps.shop.services.cart import cart_set
from apps.shop.services.catalog import catalog_sync
from apps.wallet.models import StripeEvent
from apps.wallet.services.webhooks import stripe_events_process_received
from apps.wallet.tests.stripe_flows import deliver
from apps.wallet.tests.stripe_server import webhook_post

from .helpers import checkout, stripe_product

pytestmark = pytest.mark.django_db


def _state() -> list[tuple]:
    return sorted(
        Product.objects.values_list("stripe_product_id", "name", "is_active", "is_deleted", "kind", "stock", "category")
    ) + sorted(Price.objects.values_list("stripe_price_id", "unit_amount", "is_active", "product__stripe_product_id"))


def test_catalog_sync_mirrors_products_and_prices_and_is_idempotent(stripe_server):
    # given: more products than one page of Stripe's list
    for n in range(105):
        stripe_server.product_create(
            f"Candle {n:03d}", unit_amount=500 + n, metadata={"kind": "physical", "stock": "3"}
        )
    # when
    call_command("sync_stripe_catalog")
    first = _state()
    call_command("sync_stripe_catalog")
    # then
    assert _state() == first
    assert Product.objects.count() == 105 and for_sale().count() == 105
    assert Price.objects.get(product__name="Candle 007").unit_amount == Decimal("5.07")
    assert len(stripe_server.requests_to("GET", "/v1/products")) == 4  # two pages per run


def test_webhooks_in_any_order_converge_with_stripe(client, stripe_server):
    # given: a product created, renamed, then archived in Stripe; its events delivered newest first, twice
    data = stripe_server.product_create("Tarot deck", unit_amount=2500, metadata={"kind": "physical", "stock": "5"})
    price = stripe_server.prices[data["default_price"]]
    events = [
        ("product.created", data),
        ("price.created", price),
        ("product.updated", stripe_server.product_update(data["id"], name="Tarot deck, gilded")),
        ("product.updated", stripe_server.product_update(data["id"], active=False)),
    ]
    # when
    for event_type, obj in reversed(events * 2):
        assert deliver(client, stripe_server, event_type, obj).status_code == 200
    stripe_events_process_received()
    # then: the current state in Stripe, whatever the order
    product = Product.objects.get(stripe_product_id=data["id"])
    assert (product.name, product.is_active, product.stock) == ("Tarot deck, gilded", False, 5)
    assert not for_sale().filter(pk=product.pk).exists()
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {"done"}
    # and a sync afterwards changes nothing
    before = _state()
    catalog_sync()
    assert _state() == before


def test_a_read_older_than_the_stored_state_changes_nothing(stripe_server):
    from apps.shop.services.catalog import product_apply

    product = stripe_product(stripe_server, "Crystal guide")
    stale = {**stripe_server.products[product.stripe_product_id], "name": "Old name", "active": False}
    product_apply(data=stale, stripe_product_id=product.stripe_product_id, version=product.stripe_version - 1)
    product.refresh_from_db()
    assert (product.name, product.is_active) == ("Crystal guide", True)


def test_archived_product_cannot_be_bought_even_from_an_open_cart(client, stripe_server, django_user_model):
    # given: a product in a buyer's cart
    from apps.accounts.tests.factories import UserFactory

    buyer = UserFactory()
    product = stripe_product(stripe_server, "Moon oil", kind="physical", stock=4)
    cart_set(user=buyer, product_id=product.pk, quantity=1)
    # when: archived in Stripe
    deliver(
        client, stripe_server, "product.updated", stripe_server.product_update(product.stripe_product_id, active=False)
    )
    stripe_events_process_received()
    # then
    assert list(product_list()) == []
    with pytest.raises(NotForSale):
        checkout(buyer)
    with pytest.raises(ProductNotFound):
        cart_set(user=buyer, product_id=product.pk, quantity=1)
    product.refresh_from_db()
    assert product.stock == 4 and not product.reservations.exists()


def test_deleted_product_and_archived_price_leave_the_shop(client, stripe_server):
    gone = stripe_product(stripe_server, "Gone")
    unpriced = stripe_product(stripe_server, "Unpriced")
    deliver(client, stripe_server, "product.deleted", stripe_server.product_delete(gone.stripe_product_id))
    deliver(client, stripe_server, "price.updated", stripe_server.price_update(unpriced.default_price_id, active=False))
    stripe_events_process_received()
    gone.refresh_from_db()
    assert gone.is_deleted and not for_sale().exists()


def test_product_without_kind_or_file_is_not_for_sale(stripe_server):
    data = stripe_server.product_create("Mystery", unit_amount=100, metadata={"kind": "digital"})
    catalog_sync()
    product = Product.objects.get(stripe_product_id=data["id"])
    assert not product.is_active and "file_key" in product.metadata_error


def test_forged_catalog_webhook_is_refused_and_writes_nothing(client, stripe_server):
    data = stripe_server.product_create("Forged", unit_amount=100, metadata={"kind": "digital", "file_key": "x"})
    event = stripe_server.event("product.created", data)
    response = webhook_post(client, json.dumps(event), secret="whsec_wrong")
    assert response.status_code == 400
    assert not StripeEvent.objects.exists() and not Product.objects.exists()
