"""Orders paid by Stripe Checkout (promotion codes, shipping) or the wallet; webhooks duplicated, reordered and
forged; the ledger, the readers' shares and Stripe reconciliation."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.accounts.tests.factories import UserFactory
from apps.core.outbox import outbox_drain
from apps.readings.tests.helpers import credit, make_reader
from apps.shop.enums import OrderStatus, ReservationStatus
from apps.shop.exceptions import CartEmpty, InvalidQuantity, OutOfStock, WalletNotAllowed
from apps.shop.models import CartItem, Order, Reservation
from apps.shop.services.cart import cart_set
from apps.shop.services.orders import order_ship, order_wallet_pay, reservations_release_expired
from apps.shop.services.refunds import order_refund_request
from apps.wallet.enums import TransactionKind
from apps.wallet.models import Account, Posting, StripeEvent, Transaction
from apps.wallet.selectors import balance_of
from apps.wallet.services.ledger_check import ledger_check_run
from apps.wallet.services.reconciliation import reconcile_stripe
from apps.wallet.services.webhooks import stripe_events_process_received
from apps.wallet.tests.stripe_flows import deliver
from apps.wallet.tests.stripe_server import webhook_post

from .helpers import checkout, pay, stripe_product

pytestmark = pytest.mark.django_db


def _legs(txn: Transaction) -> dict[str, Decimal]:
    return dict(Posting.objects.filter(transaction=txn).values_list("account__code", "amount"))


def test_order_paid_with_promotion_code_records_stripe_amounts_and_shares(client, stripe_server):
    # given: a reader's digital product and a platform product, 20% off
    reader = make_reader()
    buyer = UserFactory()
    by_reader = stripe_product(stripe_server, "Reader's meditation", cents=2000, reader=reader)
    ours = stripe_product(stripe_server, "Platform guide", cents=1000)
    stripe_server.promotion_code_create("FALL20", percent_off=20)
    order = checkout(buyer, (by_reader, 1), (ours, 2))
    # then: Checkout got Stripe prices only, promotion codes allowed, no shipping for digital items
    params = stripe_server.requests_to("POST", "/v1/checkout/sessions")[-1].params
    assert params["allow_promotion_codes"] == "true" and "shipping_address_collection" not in params
    assert sorted((li["price"], li["quantity"]) for li in params["line_items"]) == sorted(
        [(by_reader.default_price_id, "1"), (ours.default_price_id, "2")]
    )
    assert params["metadata"]["purpose"] == "shop_order"
    # when
    order = pay(client, stripe_server, order, promotion_code="FALL20")
    # then: amounts from the session and its lines
    assert order.status == OrderStatus.FULFILLED  # digital only: delivered at once
    assert (order.subtotal_amount, order.discount_amount, order.total_amount) == (
        Decimal("40.00"),
        Decimal("8.00"),
        Decimal("32.00"),
    )
    reader_line = order.items.get(product=by_reader)
    assert reader_line.total_amount == Decimal("16.00")
    txn = Transaction.objects.get(idempotency_key=f"shop_order:{order.pk}")
    assert txn.kind == TransactionKind.SHOP_ORDER and txn.stripe_payment_intent_id == order.stripe_payment_intent_id
    assert _legs(txn) == {
        "stripe:cash": Decimal("-32.00"),
        f"earnings:{reader.pk}": Decimal("11.20"),  # floor(16.00 × 0.70)
        "platform:revenue": Decimal("20.80"),
    }
    assert not CartItem.objects.filter(user=buyer).exists()
    assert ledger_check_run().is_ok


def test_order_webhooks_duplicated_reordered_and_forged_pay_once(client, stripe_server):
    buyer = UserFactory()
    product = stripe_product(stripe_server, "Candle", cents=1500, kind="physical", stock=2)
    order = checkout(buyer, (product, 1))
    session = stripe_server.shop_session_pay(
        order.stripe_checkout_session_id,
        shipping_address={"line1": "1 Main St", "city": "Austin", "postal_code": "78701", "country": "US"},
        shipping_name="Ada",
    )
    # a forged completion (wrong signature) and one with a doctored amount signed by someone else: refused
    forged = stripe_server.event("checkout.session.completed", session)
    assert webhook_post(client, json.dumps(forged), secret="whsec_forged").status_code == 400
    # the expired event arrives late, after the completed ones, and each event twice
    expired = stripe_server.event("checkout.session.expired", {**session, "status": "expired"})
    completed = stripe_server.event("checkout.session.completed", session)
    for event in (completed, completed, expired, expired):
        assert webhook_post(client, event).status_code == 200
    stripe_events_process_received()
    order.refresh_from_db()
    product.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert Transaction.objects.filter(subject_type="shop_order", subject_id=order.pk).count() == 1
    assert product.stock == 1
    assert Reservation.objects.get(order=order).status == ReservationStatus.CONSUMED
    assert StripeEvent.objects.count() == 2
    assert ledger_check_run().is_ok


def test_session_that_does_not_match_its_order_is_refused(client, stripe_server):
    buyer = UserFactory()
    product = stripe_product(stripe_server, "Guide", cents=900)
    order = checkout(buyer, (product, 1))
    session = stripe_server.shop_session_pay(order.stripe_checkout_session_id)
    doctored = {**session, "metadata": {**session["metadata"], "user_id": str(UserFactory().pk)}}
    deliver(client, stripe_server, "checkout.session.completed", doctored)
    with pytest.raises(Exception, match="does not match"):
        stripe_events_process_received()
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert not Transaction.objects.filter(subject_type="shop_order").exists()


def test_physical_order_collects_shipping_ships_with_tracking_and_reconciles(client, stripe_server, mailoutbox):
    # given
    admin = UserFactory(is_staff=True)
    buyer = UserFactory()
    rate = stripe_server.shipping_rate_create("Ground", amount=500)
    from django.conf import settings

    settings.SHOP_SHIPPING_RATE_IDS = [rate["id"]]
    product = stripe_product(stripe_server, "Tarot deck", cents=2500, kind="physical", stock=3)
    order = checkout(buyer, (product, 2))
    params = stripe_server.requests_to("POST", "/v1/checkout/sessions")[-1].params
    assert params["shipping_address_collection"]["allowed_countries"] == list(settings.SHOP_SHIPPING_COUNTRIES)
    assert params["shipping_options"] == [{"shipping_rate": rate["id"]}]
    # when
    order = pay(client, stripe_server, order)
    # then
    assert order.status == OrderStatus.PAID
    assert (order.shipping_amount, order.total_amount) == (Decimal("5.00"), Decimal("55.00"))
    assert order.shipping_address["city"] == "Austin"
    shipped = order_ship(actor=admin, order_id=order.pk, carrier="USPS", tracking_number="9400 1000 0000")
    assert shipped.status == OrderStatus.FULFILLED and shipped.tracking_number == "9400 1000 0000"
    outbox_drain()
    assert any("9400 1000 0000" in message.body for message in mailoutbox)
    run = reconcile_stripe(since=timezone.now().date() - timedelta(days=1))
    assert run.is_clean, run.differences


def test_wallet_pays_a_digital_cart_in_one_ledger_transaction(stripe_server):
    reader = make_reader()
    buyer = UserFactory()
    credit(buyer, Decimal("30.00"))
    product = stripe_product(stripe_server, "Reader's audio", cents=1250, reader=reader)
    cart_set(user=buyer, product_id=product.pk, quantity=2)
    order = order_wallet_pay(user=buyer, client_key="wallet-key-0001")
    again = order_wallet_pay(user=buyer, client_key="wallet-key-0001")  # a double submit
    assert again.pk == order.pk and order.status == OrderStatus.FULFILLED
    txn = Transaction.objects.get(idempotency_key=f"shop_order:{order.pk}")
    assert _legs(txn) == {
        f"wallet:{buyer.pk}": Decimal("-25.00"),
        f"earnings:{reader.pk}": Decimal("17.50"),
        "platform:revenue": Decimal("7.50"),
    }
    assert Account.objects.get(code=f"wallet:{buyer.pk}").balance == Decimal("5.00")
    assert ledger_check_run().is_ok


def test_wallet_refuses_physical_items_and_insufficient_funds_writes_nothing(stripe_server):
    buyer = UserFactory()
    credit(buyer, Decimal("5.00"))
    candle = stripe_product(stripe_server, "Candle", cents=300, kind="physical", stock=5)
    cart_set(user=buyer, product_id=candle.pk, quantity=1)
    with pytest.raises(WalletNotAllowed):
        order_wallet_pay(user=buyer, client_key="wallet-key-0002")
    CartItem.objects.all().delete()
    pdf = stripe_product(stripe_server, "Big PDF", cents=900)
    cart_set(user=buyer, product_id=pdf.pk, quantity=1)
    from apps.wallet.exceptions import InsufficientFunds

    with pytest.raises(InsufficientFunds):
        order_wallet_pay(user=buyer, client_key="wallet-key-0003")
    assert not Order.objects.exists()
    candle.refresh_from_db()
    assert candle.stock == 5


def test_bad_quantities_are_refused(stripe_server):
    buyer = UserFactory()
    candle = stripe_product(stripe_server, "Candle", cents=300, kind="physical", stock=2)
    for bad in ("0", "-1", "abc", ""):
        with pytest.raises(InvalidQuantity):
            cart_set(user=buyer, product_id=candle.pk, quantity=bad)
    with pytest.raises(OutOfStock):
        cart_set(user=buyer, product_id=candle.pk, quantity=3)
    assert not CartItem.objects.exists()
    with pytest.raises(CartEmpty):
        checkout(buyer)


def test_expired_session_and_the_sweep_return_the_stock(client, stripe_server):
    first, second = UserFactory(), UserFactory()
    product = stripe_product(stripe_server, "Last candle", cents=700, kind="physical", stock=2)
    by_event = checkout(first, (product, 1))
    by_sweep = checkout(second, (product, 1))
    product.refresh_from_db()
    assert product.stock == 0
    # Stripe reports the first session expired
    session = stripe_server.session_expire(by_event.stripe_checkout_session_id)
    deliver(client, stripe_server, "checkout.session.expired", session)
    stripe_events_process_received()
    product.refresh_from_db()
    assert product.stock == 1
    # nothing comes for the second: the sweep returns it after expires_at and the grace period only
    assert reservations_release_expired(now=timezone.now()) == 0
    assert reservations_release_expired(now=by_sweep.expires_at + timedelta(minutes=11)) == 1
    product.refresh_from_db()
    by_sweep.refresh_from_db()
    assert product.stock == 2 and by_sweep.status == OrderStatus.CANCELED
    assert set(Reservation.objects.values_list("status", flat=True)) == {ReservationStatus.RELEASED}


def test_partial_refund_by_card_goes_through_the_outbox_and_reverses_the_ledger(client, stripe_server):
    admin = UserFactory(is_staff=True)
    reader = make_reader()
    buyer = UserFactory()
    stripe_server.refund_status = "succeeded"
    product = stripe_product(stripe_server, "Reader's deck", cents=4000, kind="physical", stock=1, reader=reader)
    order = pay(client, stripe_server, checkout(buyer, (product, 1)))
    earnings_before = balance_of(Account.objects.get(code=f"earnings:{reader.pk}"))
    # when
    refund = order_refund_request(actor=admin, order_id=order.pk, amount="10.00", reason="Damaged box", restock=True)
    outbox_drain()
    outbox_drain()  # a re-run refunds once
    # then
    refund.refresh_from_db()
    order.refresh_from_db()
    product.refresh_from_db()
    assert refund.status == "succeeded" and order.status == OrderStatus.PARTIALLY_REFUNDED
    assert len(stripe_server.refunds) == 1 and product.stock == 1
    txn = Transaction.objects.get(stripe_refund_id=refund.stripe_refund_id)
    assert _legs(txn) == {
        "stripe:cash": Decimal("10.00"),
        f"earnings:{reader.pk}": Decimal("-7.00"),
        "platform:revenue": Decimal("-3.00"),
    }
    assert balance_of(Account.objects.get(code=f"earnings:{reader.pk}")) == earnings_before - Decimal("7.00")
    with pytest.raises(Exception, match="At most"):
        order_refund_request(actor=admin, order_id=order.pk, amount="30.01", reason="Too much", restock=False)
    assert ledger_check_run().is_ok
    assert reconcile_stripe(since=timezone.now().date() - timedelta(days=1)).is_clean


def test_ledger_check_reports_a_paid_order_without_its_ledger_transaction(stripe_server):
    buyer = UserFactory()
    Order.objects.create(
        user=buyer,
        client_key="no-ledger-order",
        payment_method="stripe",
        status=OrderStatus.PAID,
        subtotal_amount=Decimal("5.00"),
        total_amount=Decimal("5.00"),
    )
    run = ledger_check_run()
    assert not run.is_ok
    assert [v["check"] for v in run.report["violations"]] == ["shop_orders_paid_in_ledger"]


def test_wallet_order_partial_refund_returns_money_to_the_wallet_in_proportion(stripe_server):
    admin = UserFactory(is_staff=True)
    reader = make_reader()
    buyer = UserFactory()
    credit(buyer, Decimal("10.00"))
    product = stripe_product(stripe_server, "Reader's PDF", cents=1000, reader=reader)
    cart_set(user=buyer, product_id=product.pk, quantity=1)
    order = order_wallet_pay(user=buyer, client_key="wallet-refund-key")
    refund = order_refund_request(actor=admin, order_id=order.pk, amount="2.50", reason="Wrong file", restock=False)
    assert refund.status == "succeeded"
    txn = Transaction.objects.get(idempotency_key=f"shop-refund:{refund.pk}")
    assert _legs(txn) == {
        f"wallet:{buyer.pk}": Decimal("2.50"),
        f"earnings:{reader.pk}": Decimal("-1.75"),
        "platform:revenue": Decimal("-0.75"),
    }
    assert ledger_check_run().is_ok


def test_stripe_refund_events_about_a_shop_charge_are_not_taken_for_a_wallet_top_up(client, stripe_server):
    admin = UserFactory(is_staff=True)
    buyer = UserFactory()
    stripe_server.refund_status = "succeeded"
    product = stripe_product(stripe_server, "Guide", cents=2000)
    order = pay(client, stripe_server, checkout(buyer, (product, 1)))
    refund = order_refund_request(actor=admin, order_id=order.pk, amount="20.00", reason="Asked", restock=False)
    outbox_drain()
    refund.refresh_from_db()
    stripe_refund = stripe_server.refunds[refund.stripe_refund_id]
    charge = stripe_server.charges[stripe_refund["charge"]]
    for event_type, obj in (("refund.created", stripe_refund), ("charge.refunded", charge)):
        assert deliver(client, stripe_server, event_type, obj).status_code == 200
    stripe_events_process_received()
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {"done"}
    assert Transaction.objects.filter(kind=TransactionKind.REFUND).count() == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert ledger_check_run().is_ok
    assert reconcile_stripe(since=timezone.now().date() - timedelta(days=1)).is_clean
