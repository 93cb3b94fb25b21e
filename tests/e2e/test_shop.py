"""The shop in a real browser. Products are created in the local Stripe and reach the shop by signed webhooks; a
client buys a digital product with a promotion code through Stripe Checkout and a signed checkout.session.completed
webhook and downloads its file; then buys a physical item, an admin ships it, and the client sees the tracking
number. axe-core runs on the shop, product, cart, order and staff order pages."""

from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from playwright.sync_api import expect

from apps.accounts.tests.factories import AdminFactory, UserFactory, give_totp
from apps.shop.models import Order
from apps.wallet.services.webhooks import stripe_events_process_received
from tests.e2e.conftest import assert_axe_clean, post_signed_webhook, sign_in_with_session

JOURNAL = b"%PDF-1.4 moon journal pages\n"


def _publish(live_server, stripe_server, name, *, cents, metadata):
    """An admin creates the product in the Stripe Dashboard; Stripe tells us with signed webhooks."""
    product = stripe_server.product_create(name, unit_amount=cents, metadata=metadata, description=f"{name}.")
    webhook = live_server.url + reverse("wallet:stripe_webhook")
    for event_type, obj in (
        ("product.created", product),
        ("price.created", stripe_server.prices[product["default_price"]]),
    ):
        assert post_signed_webhook(webhook, stripe_server.event(event_type, obj)) == 200
    stripe_events_process_received()  # the Celery worker's job, run here


def _pay_by_card(page, live_server, stripe_server, **choices):
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Pay by card").click()
    page.get_by_role("heading", name="Test checkout").wait_for()
    order = Order.objects.latest("pk")
    assert page.url == f"{stripe_server.base_url}/pay/{order.stripe_checkout_session_id}"
    session = stripe_server.shop_session_pay(order.stripe_checkout_session_id, **choices)
    event = stripe_server.event("checkout.session.completed", session)
    assert post_signed_webhook(live_server.url + reverse("wallet:stripe_webhook"), event) == 200
    stripe_events_process_received()
    page.goto(session["success_url"])
    return order


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_shop_digital_with_promotion_code_then_physical_shipped(live_server, page, new_page, stripe_server):
    # given: two products published in Stripe, a promotion code, and a signed-in client
    _publish(
        live_server,
        stripe_server,
        "Moon journal",
        cents=1200,
        metadata={"kind": "digital", "file_key": "shop/moon-journal.pdf", "category": "journals"},
    )
    _publish(
        live_server,
        stripe_server,
        "Tarot deck",
        cents=3000,
        metadata={"kind": "physical", "stock": "2", "category": "decks"},
    )
    stripe_server.promotion_code_create("FALL25", percent_off=25)
    default_storage.delete("shop/moon-journal.pdf")  # left by an earlier run on this machine's test storage
    assert default_storage.save("shop/moon-journal.pdf", ContentFile(JOURNAL)) == "shop/moon-journal.pdf"
    buyer = UserFactory(email="shop.buyer@example.com")
    sign_in_with_session(page, live_server.url, buyer)

    # when: the client opens the shop from the navigation and the digital product
    page.goto(live_server.url + reverse("pages:home"))
    page.get_by_role("link", name="Shop", exact=True).first.click()
    page.get_by_role("heading", name="Shop", exact=True).wait_for()
    assert_axe_clean(page)
    page.get_by_role("link", name="Moon journal").click()
    assert page.get_by_test_id("price").inner_text() == "$12.00"
    assert_axe_clean(page)
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_role("heading", name="Your cart").wait_for()
    assert_axe_clean(page)
    digital = _pay_by_card(page, live_server, stripe_server, promotion_code="FALL25")

    # then: the order is paid with the discount Stripe applied
    page.get_by_role("link", name=f"Order #{digital.pk}").click()
    assert page.get_by_test_id("order-status").inner_text().startswith("Fulfilled")
    assert page.get_by_test_id("discount").inner_text() == "−$3.00"
    assert page.get_by_test_id("order-total").inner_text() == "$9.00"
    assert_axe_clean(page)

    # and the client gets a download link and downloads the file
    page.get_by_role("button", name="Get a download link").click()
    page.get_by_test_id("download-link").wait_for()
    assert_axe_clean(page)
    with page.expect_download() as download_info:
        page.get_by_test_id("download-link").click()
    download = download_info.value
    assert download.suggested_filename == "Moon journal.pdf"
    assert Path(download.path()).read_bytes() == JOURNAL

    # when: the client buys the physical deck, with a shipping address on Checkout
    page.goto(live_server.url + reverse("shop:home") + "?category=decks")
    page.get_by_role("link", name="Tarot deck").click()
    expect(page.get_by_test_id("stock")).to_have_text("2 left")  # once the product page has replaced the list
    page.get_by_role("button", name="Add to cart").click()
    address = {
        "line1": "12 Elm St",
        "line2": "",
        "city": "Portland",
        "state": "OR",
        "postal_code": "97201",
        "country": "US",
    }
    physical = _pay_by_card(page, live_server, stripe_server, shipping_address=address, shipping_name="Shop Buyer")
    physical.refresh_from_db()
    assert physical.status == "paid"

    # and an admin ships it
    admin = AdminFactory()
    give_totp(admin)
    staff_page = new_page()
    sign_in_with_session(staff_page, live_server.url, admin)
    staff_page.goto(live_server.url + reverse("staff_shop:order", args=[physical.pk]))
    assert "Portland" in staff_page.locator("main").inner_text()
    assert_axe_clean(staff_page)
    staff_page.get_by_label("Carrier").fill("USPS")
    staff_page.get_by_label("Tracking number").fill("9400111899223344556677")
    staff_page.get_by_role("button", name="Mark shipped and email the buyer").click()
    staff_page.get_by_test_id("tracking").wait_for()

    # then: the buyer sees the tracking number on the order page
    page.goto(live_server.url + reverse("shop:order", args=[physical.pk]))
    assert "9400111899223344556677" in page.get_by_test_id("tracking").inner_text()
    assert_axe_clean(page)
