"""Racing checkouts over real PostgreSQL connections: the last unit is reserved once; wallet purchases pay once;
a card refund Stripe reports failed twice at once is reversed once; a refund made in the Stripe Dashboard reported
twice at once is booked once."""

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
from apps.shop.models import Order, OrderRefund, Reservation
from apps.shop.notify import DASHBOARD_REFUND, REFUND_RETURNED
from apps.shop.services.cart import cart_set
from apps.shop.services.orders import order_checkout_start, order_wallet_pay
from apps.shop.services.refunds import order_refund_dashboard_event, order_refund_request
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
