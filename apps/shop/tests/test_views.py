"""The shop's pages: catalog, product, cart, checkout, orders, and the staff pages; other people's orders are 404."""

from decimal import Decimal
from functools import partial

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.accounts.tests.factories import AdminFactory, UserFactory, give_totp
from apps.readings.tests.helpers import credit, make_reader
from apps.shop.models import CartItem, Order, OrderRefund, Product

from .helpers import checkout, pay, stripe_product

pytestmark = pytest.mark.django_db


def _admin_client(client):
    admin = AdminFactory()
    give_totp(admin)
    client.force_login(admin)
    return admin


def _queries(get) -> int:
    get()  # warm per-process caches so both measurements start alike
    with CaptureQueriesContext(connection) as captured:
        response = get()
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_empty_shop_says_it_has_no_products(client):
    response = client.get(reverse("shop:home"))
    assert response.status_code == 200
    assert b"The shop has no products yet" in response.content


def test_shop_list_runs_a_constant_number_of_queries(client, stripe_server):
    reader = make_reader()
    stripe_product(stripe_server, "First", reader=reader, category="journals")
    few = _queries(lambda: client.get(reverse("shop:home")))
    for n in range(6):
        stripe_product(stripe_server, f"Deck {n}", kind="physical", stock=n, reader=make_reader(), category="decks")
    assert _queries(lambda: client.get(reverse("shop:home"))) == few
    response = client.get(reverse("shop:home"))
    assert b"Sold out" in response.content and b"3 left" in response.content
    assert client.get(reverse("shop:home"), {"category": "decks", "q": "Deck 2"}).context["page"].paginator.count == 1


def test_orders_list_runs_a_constant_number_of_queries(client, stripe_server):
    buyer = UserFactory()
    credit(buyer, Decimal("100.00"))
    client.force_login(buyer)
    product = stripe_product(stripe_server, "PDF", cents=100)

    def buy(n):
        CartItem.objects.create(user=buyer, product=product, quantity=1)
        client.post(reverse("shop:checkout"), {"method": "wallet", "client_key": f"list-key-{n:04d}"})

    buy(0)
    few = _queries(lambda: client.get(reverse("shop:orders")))
    for n in range(1, 6):
        buy(n)
    assert _queries(lambda: client.get(reverse("shop:orders"))) == few
    response = client.get(reverse("shop:orders"))
    assert len(response.context["page"].object_list) == 6


def test_product_page_shows_price_stock_and_creator(client, stripe_server):
    reader = make_reader()
    product = stripe_product(stripe_server, "Reader's deck", cents=2500, kind="physical", stock=3, reader=reader)
    response = client.get(reverse("shop:product", args=[product.pk]))
    assert b"$25.00" in response.content and b"3 left" in response.content
    assert reader.reader_profile.display_name.encode() in response.content


def test_cart_add_refuses_a_quantity_above_stock_and_checkout_goes_to_stripe(client, stripe_server):
    buyer = UserFactory()
    client.force_login(buyer)
    product = stripe_product(stripe_server, "Candle", cents=800, kind="physical", stock=2)
    response = client.post(reverse("shop:cart_add", args=[product.pk]), {"quantity": "3"}, follow=True)
    assert b"Only 2 of Candle left" in response.content and not CartItem.objects.exists()
    response = client.post(reverse("shop:cart_add", args=[product.pk]), {"quantity": "0"}, follow=True)
    assert b"at least 1" in response.content and not CartItem.objects.exists()
    client.post(reverse("shop:cart_add", args=[product.pk]), {"quantity": "2"})
    page = client.get(reverse("shop:cart"))
    assert b"Pay by card" in page.content and b"from your wallet" not in page.content
    response = client.post(reverse("shop:checkout"), {"method": "stripe", "client_key": page.context["client_key"]})
    order = Order.objects.get()
    assert response.status_code == 302 and response["Location"] == order.checkout_url


def test_unknown_product_answers_404(client):
    assert client.get(reverse("shop:product", args=[999999])).status_code == 404


def test_another_users_order_is_not_found(client, stripe_server):
    buyer, other = UserFactory(), UserFactory()
    product = stripe_product(stripe_server, "PDF")
    order = pay(client, stripe_server, checkout(buyer, (product, 1)))
    client.force_login(other)
    assert client.get(reverse("shop:order", args=[order.pk])).status_code == 404
    client.force_login(buyer)
    assert client.get(reverse("shop:order", args=[order.pk])).status_code == 200


def test_admin_ships_an_order_and_the_buyer_sees_tracking(client, stripe_server):
    buyer = UserFactory()
    product = stripe_product(stripe_server, "Deck", kind="physical", stock=2)
    order = pay(client, stripe_server, checkout(buyer, (product, 1)))
    _admin_client(client)
    assert client.get(reverse("staff_shop:orders"), {"status": "paid"}).context["page"].paginator.count == 1
    response = client.post(reverse("staff_shop:order_ship", args=[order.pk]), {"carrier": "UPS", "tracking_number": ""})
    order.refresh_from_db()
    assert response.status_code == 302 and order.status == "paid"
    client.post(reverse("staff_shop:order_ship", args=[order.pk]), {"carrier": "UPS", "tracking_number": "1Z999"})
    client.force_login(buyer)
    response = client.get(reverse("shop:order", args=[order.pk]))
    assert b"tracking number <strong>1Z999</strong>" in response.content


def test_admin_sees_sync_status(client, stripe_server):
    stripe_server.product_create("Oil", unit_amount=100, metadata={"kind": "physical", "stock": "1"})
    _admin_client(client)
    assert b"never been synced" in client.get(reverse("staff_shop:products")).content
    client.post(reverse("staff_shop:products_sync"))
    response = client.get(reverse("shop:home"))
    assert b"Catalog last synced" in response.content and b"Oil" in response.content


def test_staff_lists_run_a_constant_number_of_queries(client, stripe_server):
    buyer = UserFactory()
    credit(buyer, Decimal("100.00"))
    _admin_client(client)

    def buy(n):
        product = stripe_product(stripe_server, f"PDF {n}", cents=100, reader=make_reader())
        CartItem.objects.create(user=buyer, product=product, quantity=1)
        from apps.shop.services.orders import order_wallet_pay

        order_wallet_pay(user=buyer, client_key=f"staff-list-{n:04d}")

    urls = [reverse("staff_shop:orders"), reverse("staff_shop:products")]

    def counts() -> list[int]:
        return [_queries(partial(client.get, url)) for url in urls]

    buy(0)
    few = counts()
    for n in range(1, 6):
        buy(n)
    assert counts() == few


def test_admin_refund_from_the_order_page_is_audited(client, stripe_server):
    from apps.core.models import AuditLog

    buyer = UserFactory()
    credit(buyer, Decimal("10.00"))
    product = stripe_product(stripe_server, "PDF", cents=800)
    CartItem.objects.create(user=buyer, product=product, quantity=1)
    from apps.shop.services.orders import order_wallet_pay

    order = order_wallet_pay(user=buyer, client_key="audited-refund")
    admin = _admin_client(client)
    url = reverse("staff_shop:order_refund", args=[order.pk])
    refused = client.post(url, {"amount": "9.00", "reason": "Too much"}, follow=True)
    assert b"At most $8.00" in refused.content
    client.post(url, {"amount": "8.00", "reason": "Duplicate purchase"})
    order.refresh_from_db()
    assert order.status == "refunded"
    entry = AuditLog.objects.get(action="shop.order_refunded")
    assert entry.actor == admin and entry.details["reason"] == "Duplicate purchase"


def test_staff_order_pages_are_not_found_for_the_buyer_and_another_user_and_send_nobody_to_sign_in(
    client, stripe_server
):
    # given: a paid physical order
    buyer, other = UserFactory(), UserFactory()
    product = stripe_product(stripe_server, "Deck", kind="physical", stock=2)
    order = pay(client, stripe_server, checkout(buyer, (product, 1)))
    client.logout()
    pages = [
        ("get", reverse("staff_shop:order", args=[order.pk]), {}),
        ("post", reverse("staff_shop:order_ship", args=[order.pk]), {"carrier": "UPS", "tracking_number": "1Z9"}),
        ("post", reverse("staff_shop:order_refund", args=[order.pk]), {"amount": "5.00", "reason": "Because"}),
    ]
    # when / then: nobody is sent to sign in, the buyer and another user get 404
    for method, url, data in pages:
        response = getattr(client, method)(url, data)
        assert response.status_code == 302 and reverse("account_login") in response["Location"], url
    for user in (buyer, other):
        client.force_login(user)
        for method, url, data in pages:
            assert getattr(client, method)(url, data).status_code == 404, (user, url)
    # and nothing changed
    order.refresh_from_db()
    assert (order.status, order.refunded_amount, order.tracking_number) == ("paid", Decimal("0"), "")
    assert not OrderRefund.objects.filter(order=order).exists()


def test_a_product_no_longer_for_sale_is_not_found_and_cannot_be_added_to_a_cart(client, stripe_server):
    # given: a product taken off sale
    product = stripe_product(stripe_server, "Old candle", kind="physical", stock=5)
    Product.objects.filter(pk=product.pk).update(is_active=False)
    url, add = reverse("shop:product", args=[product.pk]), reverse("shop:cart_add", args=[product.pk])
    # when / then: its page is 404 for nobody and for a signed-in user; adding it sends nobody to sign in and is
    # 404 for the signed-in user
    assert client.get(url).status_code == 404
    response = client.post(add, {"quantity": "1"})
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    assert client.post(add, {"quantity": "1"}).status_code == 404
    assert not CartItem.objects.exists()
