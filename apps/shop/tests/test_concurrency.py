"""Racing checkouts over real PostgreSQL connections: the last unit is reserved once; wallet purchases pay once;
a card refund Stripe reports failed twice at once is reversed once; a refund made in the Stripe Dashboard reported
twice at once is booked once; events about a Dashboard refund and one of our own refunds of the same order,
processed at once, each book (and then reverse) their refund once without deadlocking."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client

from apps.accounts.tests.factories import UserFactory
from apps.core.exceptions import DomainError
from apps.core.models import AuditLog
from apps.core.outbox import outbox_drain
from apps.notifications.models import Notification
from apps.readings.tests.helpers import credit, make_reader
from apps.shop.enums import OrderStatus, RefundStatus
from apps.shop.exceptions import OutOfStock
from apps.shop.models import Order, OrderRefund, Product, Reservation
from apps.shop.notify import DASHBOARD_REFUND, REFUND_RETURNED
from apps.shop.services.cart import cart_set
from apps.shop.services.orders import order_checkout_start, order_wallet_pay
from apps.shop.services.refunds import order_refund_dashboard_event, order_refund_request, order_refund_stripe_event
from apps.wallet import stripe_gateway
from apps.wallet.enums import TransactionKind
from apps.wallet.models import Account, StripeEvent, Transaction
from apps.wallet.selectors import balance_of
from apps.wallet.services.ledger_check import ledger_check_run
from apps.wallet.services.webhooks import stripe_event_process, stripe_events_process_received
from apps.wallet.tests.stripe_flows import deliver
from apps.wallet.tests.stripe_server import webhook_post
from tests.support.racing import race, race_all_succeed

from .helpers import CANCEL_URL, SUCCESS_URL, checkout, pay, stripe_product

pytestmark = pytest.mark.django_db(transaction=True)


def test_eight_checkouts_for_the_last_item_reserve_it_once_and_expiry_returns_it(client, stripe_server):
    # given: one unit left, eight buyers with it in their carts
    product = stripe_product(stripe_server, "Last tarot deck", cents=3000, kind="physical", stock=1)
    buyers = [UserFactory() for _ in range(8)]
    for buyer in buyers:
        cart_set(user=buyer, product_id=product.pk, quantity=1)

    def start(buyer):
        return lambda: order_checkout_start(
            user=buyer, client_key=f"race-{buyer.pk:08d}", success_url=SUCCESS_URL, cancel_url=CANCEL_URL
        )

    # when
    outcomes = race(*(start(buyer) for buyer in buyers))
    # then
    winners = [o for o in outcomes if isinstance(o, Order)]
    assert len(winners) == 1, outcomes
    assert all(isinstance(o, OutOfStock) for o in outcomes if not isinstance(o, Order))
    assert Reservation.objects.count() == 1 and Order.objects.count() == 1
    product.refresh_from_db()
    assert product.stock == 0
    assert len(stripe_server.requests_to("POST", "/v1/checkout/sessions")) == 1
    # and the expired session returns the unit
    session = stripe_server.session_expire(winners[0].stripe_checkout_session_id)
    deliver(client, stripe_server, "checkout.session.expired", session)
    stripe_events_process_received()
    product.refresh_from_db()
    assert product.stock == 1


def test_racing_wallet_purchases_of_one_cart_pay_once(stripe_server):
    buyer = UserFactory()
    credit(buyer, Decimal("20.00"))
    product = stripe_product(stripe_server, "Audio course", cents=1500)
    cart_set(user=buyer, product_id=product.pk, quantity=1)
    # the same form submitted four times, and a second form racing them
    calls = [lambda: order_wallet_pay(user=buyer, client_key="double-submit-key")] * 4
    calls.append(lambda: order_wallet_pay(user=buyer, client_key="another-form-key"))
    outcomes = race(*calls)
    orders = {o.pk for o in outcomes if isinstance(o, Order)}
    # every refusal is a domain error (no integrity error from the double submit)
    assert all(isinstance(o, (Order, DomainError)) for o in outcomes), outcomes
    assert Order.objects.count() == len(orders) and Transaction.objects.filter(kind="shop_order").count() == len(orders)
    # at most $20 in the wallet: one purchase of $15 goes through; the other is refused or finds the cart empty
    assert Account.objects.get(code=f"wallet:{buyer.pk}").balance == Decimal("20.00") - 15 * len(orders)
    assert len(orders) == 1
    assert ledger_check_run().is_ok


def test_two_deliveries_of_a_refund_failure_racing_reverse_it_once(client, stripe_server):
    # given a $25 card refund of a reader's product that succeeded
    admin = UserFactory(is_staff=True)
    reader = make_reader()
    stripe_server.refund_status = "succeeded"
    product = stripe_product(stripe_server, "Reader's course", cents=2500, reader=reader)
    order = pay(client, stripe_server, checkout(UserFactory(), (product, 1)))
    earnings = Account.objects.get(code=f"earnings:{reader.pk}")
    earned = balance_of(earnings)
    refund = order_refund_request(actor=admin, order_id=order.pk, amount="25.00", reason="Asked", restock=False)
    outbox_drain()
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED
    assert balance_of(earnings) == earned - Decimal("17.50")
    # when Stripe reports it failed: the same event delivered twice at once, and a second event about it
    failed = stripe_server.refund_settle(refund.stripe_refund_id, status="failed")
    event = stripe_server.event("refund.failed", failed)
    posts = race_all_succeed(lambda: webhook_post(Client(), event), lambda: webhook_post(Client(), event))
    assert [response.status_code for response in posts] == [200, 200]
    deliver(client, stripe_server, "charge.refund.updated", failed)
    about_refund = StripeEvent.objects.filter(type__in=["refund.failed", "charge.refund.updated"])
    pks = list(about_refund.values_list("pk", flat=True))
    assert len(pks) == 2
    # both processed at the same instant on two connections
    race_all_succeed(*(lambda pk=pk: stripe_event_process(event_pk=pk) for pk in pks))
    # then exactly one reversal, the reader's share given back, the order as before the refund
    [reversal] = Transaction.objects.filter(kind=TransactionKind.REFUND_REVERSAL)
    assert reversal.idempotency_key == f"refund-failure:{refund.stripe_refund_id}"
    assert balance_of(earnings) == earned
    assert set(StripeEvent.objects.filter(pk__in=pks).values_list("status", flat=True)) == {"done"}
    assert OrderRefund.objects.get().status == RefundStatus.FAILED
    order.refresh_from_db()
    assert order.status == OrderStatus.FULFILLED and order.refunded_amount == Decimal("0.00")
    assert AuditLog.objects.filter(action="shop.refund_reversed").count() == 1
    assert Notification.objects.filter(kind=REFUND_RETURNED, user=admin).count() == 1
    call_command("ledger_check")


def test_two_deliveries_of_a_dashboard_refund_racing_book_it_once(client, stripe_server):
    # given a $25 order of a reader's product, $20 of it refunded in the Stripe Dashboard
    admin = UserFactory(is_staff=True)
    reader = make_reader()
    product = stripe_product(stripe_server, "Reader's course", cents=2500, reader=reader)
    order = pay(client, stripe_server, checkout(UserFactory(), (product, 1)))
    earnings = Account.objects.get(code=f"earnings:{reader.pk}")
    earned = balance_of(earnings)
    made = stripe_server.refund_in_dashboard(order.stripe_checkout_session_id, 2000)
    # when Stripe reports it twice (the same event delivered twice at once, and another event about it) ...
    event = stripe_server.event("refund.created", made)
    posts = race_all_succeed(lambda: webhook_post(Client(), event), lambda: webhook_post(Client(), event))
    assert [response.status_code for response in posts] == [200, 200]
    deliver(client, stripe_server, "refund.updated", made)
    pks = list(StripeEvent.objects.filter(type__startswith="refund.").values_list("pk", flat=True))
    assert len(pks) == 2
    # ... and both are processed at the same instant on two connections, as are two more handed to the shop at once
    # (no call to Stripe before the booking: the closest race)
    race_all_succeed(*(lambda pk=pk: stripe_event_process(event_pk=pk) for pk in pks))
    pi = order.stripe_payment_intent_id
    assert race_all_succeed(
        lambda: order_refund_dashboard_event(made, pi, "evt_again_1"),
        lambda: order_refund_dashboard_event(made, pi, "evt_again_2"),
    ) == [True, True]
    # then it is booked once: one OrderRefund, one transaction, the reader's share taken once
    [booked] = Transaction.objects.filter(kind=TransactionKind.REFUND)
    assert booked.idempotency_key == f"refund:{made['id']}"
    assert balance_of(earnings) == earned - Decimal("14.00")
    [refund] = OrderRefund.objects.all()
    assert refund.stripe_refund_id == made["id"] and refund.status == RefundStatus.SUCCEEDED
    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_REFUNDED and order.refunded_amount == Decimal("20.00")
    assert set(StripeEvent.objects.filter(pk__in=pks).values_list("status", flat=True)) == {"done"}
    assert AuditLog.objects.filter(action="shop.order_refunded").count() == 1
    assert Notification.objects.filter(kind=DASHBOARD_REFUND, user=admin).count() == 1
    call_command("ledger_check")


def test_a_dashboard_refund_and_our_own_refund_of_one_order_processed_at_once_each_book_once(client, stripe_server):
    # given a $40 card order of 2 of a reader's physical decks (5 on hand)
    admin = UserFactory(is_staff=True)
    reader = make_reader()
    stripe_server.refund_status = "succeeded"
    deck = stripe_product(stripe_server, "Reader's deck", cents=2000, kind="physical", stock=5, reader=reader)
    order = pay(client, stripe_server, checkout(UserFactory(), (deck, 2)))
    earnings = Account.objects.get(code=f"earnings:{reader.pk}")
    earned = balance_of(earnings)
    # and $10 of it refunded by us with the decks returned to stock, made in Stripe but not booked yet ...
    own = order_refund_request(actor=admin, order_id=order.pk, amount="10.00", reason="Returned", restock=True)
    made_here = stripe_gateway.refund_create(
        payment_intent_id=order.stripe_payment_intent_id,
        amount=own.amount,
        metadata={"purpose": "shop_order", "order_id": str(order.pk), "shop_refund_id": str(own.pk)},
        idempotency_key=f"shop-refund:{own.pk}",
    )
    assert Product.objects.get(pk=deck.pk).stock == 5
    # ... and $5 refunded in the Stripe Dashboard
    made_there = stripe_server.refund_in_dashboard(order.stripe_checkout_session_id, 500)

    def process_at_once(*events: tuple[str, dict]) -> list[int]:
        for event_type, refund in events:
            assert deliver(client, stripe_server, event_type, refund).status_code == 200
        pks = list(StripeEvent.objects.filter(status="received").values_list("pk", flat=True))
        assert len(pks) == len(events)
        race_all_succeed(*(lambda pk=pk: stripe_event_process(event_pk=pk) for pk in pks))
        assert set(StripeEvent.objects.filter(pk__in=pks).values_list("status", flat=True)) == {"done"}
        return pks

    # when Stripe's events about both refunds are processed at the same instant on two connections
    process_at_once(("refund.created", made_here), ("refund.created", made_there))
    outbox_drain()  # our refund's submission then finds it booked
    # then each is booked once, the reader's share of both taken once
    booked = Transaction.objects.filter(kind=TransactionKind.REFUND)
    assert sorted(booked.values_list("idempotency_key", flat=True)) == sorted(
        [f"refund:{made_here['id']}", f"refund:{made_there['id']}"]
    )
    assert balance_of(earnings) == earned - Decimal("10.50")
    assert set(OrderRefund.objects.values_list("stripe_refund_id", "status")) == {
        (made_here["id"], RefundStatus.SUCCEEDED),
        (made_there["id"], RefundStatus.SUCCEEDED),
    }
    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_REFUNDED and order.refunded_amount == Decimal("15.00")
    assert len(stripe_server.refunds) == 2
    call_command("ledger_check")
    # when both come back and their failures are processed at once
    process_at_once(
        ("refund.failed", stripe_server.refund_settle(made_here["id"], status="failed")),
        ("refund.updated", stripe_server.refund_settle(made_there["id"], status="failed")),
    )
    # then each is reversed once, the order and the reader as before the refunds, the decks out of stock again
    reversals = Transaction.objects.filter(kind=TransactionKind.REFUND_REVERSAL)
    assert sorted(reversals.values_list("idempotency_key", flat=True)) == sorted(
        [f"refund-failure:{made_here['id']}", f"refund-failure:{made_there['id']}"]
    )
    assert balance_of(earnings) == earned
    assert set(OrderRefund.objects.values_list("status", flat=True)) == {RefundStatus.FAILED}
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and order.refunded_amount == Decimal("0.00")
    assert Product.objects.get(pk=deck.pk).stock == 3
    assert AuditLog.objects.filter(action="shop.refund_reversed").count() == 2
    call_command("ledger_check")


def test_one_refund_s_failure_reaching_both_refund_paths_at_once_is_reversed_once(client, stripe_server):
    # given a $30 card order and three $10 refunds of it that succeeded
    admin = UserFactory(is_staff=True)
    stripe_server.refund_status = "succeeded"
    product = stripe_product(stripe_server, "Course", cents=3000)
    order = pay(client, stripe_server, checkout(UserFactory(), (product, 1)))
    pi = order.stripe_payment_intent_id
    for _ in range(3):
        order_refund_request(actor=admin, order_id=order.pk, amount="10.00", reason="Asked", restock=False)
    outbox_drain()
    refunds = list(OrderRefund.objects.order_by("pk"))
    assert {refund.status for refund in refunds} == {RefundStatus.SUCCEEDED}
    for number, refund in enumerate(refunds):
        # when its failure reaches our own refunds' path and the Dashboard refunds' path at the same instant
        failed = stripe_server.refund_settle(refund.stripe_refund_id, status="failed")
        race_all_succeed(
            lambda failed=failed, number=number: order_refund_stripe_event(failed, f"evt_own_{number}"),
            lambda failed=failed, number=number: order_refund_dashboard_event(failed, pi, f"evt_dash_{number}"),
        )
    # then (both paths lock the order, then the refund: no deadlock) each is reversed once
    reversals = Transaction.objects.filter(kind=TransactionKind.REFUND_REVERSAL)
    assert sorted(reversals.values_list("idempotency_key", flat=True)) == sorted(
        f"refund-failure:{refund.stripe_refund_id}" for refund in refunds
    )
    assert set(OrderRefund.objects.values_list("status", flat=True)) == {RefundStatus.FAILED}
    order.refresh_from_db()
    assert order.status == OrderStatus.FULFILLED and order.refunded_amount == Decimal("0.00")
    assert AuditLog.objects.filter(action="shop.refund_reversed").count() == 3
    call_command("ledger_check")
