"""Refunds of a shop order's card charge made in the Stripe Dashboard (no metadata): the wallet finds no top-up for
them and offers them to the shop, which books them once like its own refunds, refuses (and reports) one larger than
what is left, and reverses one that comes back. Driven by signed webhooks from the local Stripe."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.accounts.tests.factories import UserFactory
from apps.core.models import AuditLog
from apps.core.outbox import outbox_drain
from apps.notifications.models import Notification
from apps.readings.tests.helpers import make_reader
from apps.shop.enums import OrderStatus, RefundStatus
from apps.shop.exceptions import InvalidRefund
from apps.shop.models import Order, OrderRefund
from apps.shop.notify import DASHBOARD_REFUND, ORDER_REFUNDED, REFUND_RETURNED, REFUND_RETURNED_TO_BUYER
from apps.shop.services.refunds import DashboardRefundWaiting, order_refund_dashboard_event, order_refund_request
from apps.wallet.enums import TransactionKind
from apps.wallet.models import Account, Posting, StripeEvent, Transaction
from apps.wallet.selectors import balance_of
from apps.wallet.services.reconciliation import reconcile_stripe
from apps.wallet.services.webhooks import stripe_events_process_received
from apps.wallet.tests.stripe_flows import deliver
from apps.wallet.tests.stripe_server import webhook_post

from .helpers import checkout, pay, stripe_product

pytestmark = pytest.mark.django_db


def _legs(txn: Transaction) -> dict[str, Decimal]:
    return dict(Posting.objects.filter(transaction=txn).values_list("account__code", "amount"))


def _balances(*codes: str) -> dict[str, Decimal]:
    return {code: balance_of(Account.objects.get(code=code)) for code in codes}


def _refund_transactions() -> list[Transaction]:
    return list(Transaction.objects.filter(kind=TransactionKind.REFUND).order_by("pk"))


def test_a_dashboard_refund_of_a_shop_charge_is_booked_once_like_our_own(client, stripe_server, mailoutbox):
    # given a $40 card order of a reader's product (the reader earns 70%) and an admin
    admin = UserFactory(is_staff=True)
    reader = make_reader()
    buyer = UserFactory()
    product = stripe_product(stripe_server, "Reader's deck", cents=4000, reader=reader)
    order = pay(client, stripe_server, checkout(buyer, (product, 1)))
    codes = ("stripe:cash", f"earnings:{reader.pk}", "platform:revenue")
    paid = _balances(*codes)
    # when $10 of it is refunded in the Stripe Dashboard and Stripe reports the refund
    made = stripe_server.refund_in_dashboard(order.stripe_checkout_session_id, 1000)
    assert made["metadata"] == {}
    assert deliver(client, stripe_server, "refund.created", made).status_code == 200
    stripe_events_process_received()
    # then one refund transaction, the same proportional reversal as a refund made here
    [booked] = _refund_transactions()
    assert booked.idempotency_key == f"refund:{made['id']}"
    assert booked.stripe_refund_id == made["id"]
    assert booked.stripe_payment_intent_id == order.stripe_payment_intent_id
    assert (booked.subject_type, booked.subject_id) == ("shop_order", order.pk)
    assert _legs(booked) == {
        "stripe:cash": Decimal("10.00"),
        f"earnings:{reader.pk}": Decimal("-7.00"),
        "platform:revenue": Decimal("-3.00"),
    }
    assert _balances(*codes) == {
        "stripe:cash": paid["stripe:cash"] + Decimal("10.00"),
        f"earnings:{reader.pk}": paid[f"earnings:{reader.pk}"] - Decimal("7.00"),
        "platform:revenue": paid["platform:revenue"] - Decimal("3.00"),
    }
    # an OrderRefund made for it: nobody asked for it here, nothing returned to stock
    [refund] = OrderRefund.objects.all()
    assert (refund.order_id, refund.amount, refund.stripe_refund_id) == (order.pk, Decimal("10.00"), made["id"])
    assert refund.requested_by is None and refund.restock is False
    assert refund.reason == "Refunded in the Stripe Dashboard"
    assert refund.status == RefundStatus.SUCCEEDED
    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_REFUNDED and order.refunded_amount == Decimal("10.00")
    with pytest.raises(InvalidRefund, match=r"At most \$30.00"):
        order_refund_request(actor=admin, order_id=order.pk, amount="30.01", reason="Too much", restock=False)
    # audited, the admins told (in the app and by email), the buyer told as for any refund
    [audit] = AuditLog.objects.filter(action="shop.order_refunded")
    assert audit.actor is None and audit.target_id == str(order.pk)
    assert audit.details["refund"] == refund.pk and audit.details["stripe_refund"] == made["id"]
    [alert] = Notification.objects.filter(kind=DASHBOARD_REFUND)
    assert alert.user == admin and alert.url == f"/staff/shop/orders/{order.pk}/"
    assert Notification.objects.filter(kind=ORDER_REFUNDED, user=buyer).count() == 1
    outbox_drain()
    assert [m.to for m in mailoutbox if "Stripe Dashboard" in m.subject] == [[admin.email]]

    # when the same event is delivered again, Stripe's later events about it arrive, and it is replayed
    assert webhook_post(client, StripeEvent.objects.get(type="refund.created").payload).status_code == 200
    deliver(client, stripe_server, "refund.updated", made)
    deliver(client, stripe_server, "charge.refund.updated", made)
    deliver(
        client, stripe_server, "charge.refunded", stripe_server.charge_for_session(order.stripe_checkout_session_id)
    )
    stripe_events_process_received()
    assert order_refund_dashboard_event(made, order.stripe_payment_intent_id, "evt_replayed") is True
    # then nothing more is booked
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {"done"}
    assert StripeEvent.objects.filter(type__startswith="charge.refund").count() == 2
    assert _refund_transactions() == [booked]
    assert OrderRefund.objects.count() == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_REFUNDED and order.refunded_amount == Decimal("10.00")
    assert AuditLog.objects.filter(action="shop.order_refunded").count() == 1
    assert Notification.objects.filter(kind=DASHBOARD_REFUND).count() == 1
    # and the ledger holds and matches Stripe's refund
    call_command("ledger_check")
    assert reconcile_stripe(since=timezone.now().date() - timedelta(days=1)).is_clean


def test_a_dashboard_refund_first_reported_by_charge_refunded_is_booked(client, stripe_server):
    # given a $20 order refunded in full in the Stripe Dashboard
    product = stripe_product(stripe_server, "Guide", cents=2000)
    order = pay(client, stripe_server, checkout(UserFactory(), (product, 1)))
    made = stripe_server.refund_in_dashboard(order.stripe_checkout_session_id, 2000)
    # when only charge.refunded reaches us
    deliver(
        client, stripe_server, "charge.refunded", stripe_server.charge_for_session(order.stripe_checkout_session_id)
    )
    stripe_events_process_received()
    # then it is booked, and the order is refunded
    [booked] = _refund_transactions()
    assert booked.idempotency_key == f"refund:{made['id']}"
    assert _legs(booked) == {"stripe:cash": Decimal("20.00"), "platform:revenue": Decimal("-20.00")}
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED and order.refunded_amount == Decimal("20.00")
    assert OrderRefund.objects.get().stripe_refund_id == made["id"]
    call_command("ledger_check")


def test_a_pending_dashboard_refund_that_comes_back_is_reversed_and_the_buyer_told(client, stripe_server, mailoutbox):
    # given a $15 Dashboard refund of a $30 order, booked while Stripe had it pending, then succeeded
    admin = UserFactory(is_staff=True)
    buyer = UserFactory()
    product = stripe_product(stripe_server, "Candle", cents=3000, kind="physical", stock=3)
    order = pay(client, stripe_server, checkout(buyer, (product, 1)))
    cash = balance_of(Account.objects.get(code="stripe:cash"))
    made = stripe_server.refund_in_dashboard(order.stripe_checkout_session_id, 1500, status="pending")
    deliver(client, stripe_server, "refund.created", made)
    stripe_events_process_received()
    refund = OrderRefund.objects.get()
    assert refund.status == RefundStatus.SUBMITTED
    deliver(client, stripe_server, "refund.updated", stripe_server.refund_settle(made["id"], status="succeeded"))
    stripe_events_process_received()
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED
    assert len(_refund_transactions()) == 1
    # when the card network returns it
    failed = stripe_server.refund_settle(made["id"], status="failed")
    deliver(client, stripe_server, "refund.failed", failed)
    stripe_events_process_received()
    # then one reversing entry, the order paid again, the admins and the buyer told
    [reversal] = Transaction.objects.filter(kind=TransactionKind.REFUND_REVERSAL)
    assert reversal.idempotency_key == f"refund-failure:{made['id']}"
    assert _legs(reversal) == {"stripe:cash": Decimal("-15.00"), "platform:revenue": Decimal("15.00")}
    assert balance_of(Account.objects.get(code="stripe:cash")) == cash
    refund.refresh_from_db()
    order.refresh_from_db()
    assert refund.status == RefundStatus.FAILED
    assert order.status == OrderStatus.PAID and order.refunded_amount == Decimal("0.00")
    assert Notification.objects.filter(kind=REFUND_RETURNED, user=admin).count() == 1
    [told] = Notification.objects.filter(kind=REFUND_RETURNED_TO_BUYER)
    assert told.user == buyer and "did not reach your card" in told.title
    call_command("ledger_check")
    assert reconcile_stripe(since=timezone.now().date() - timedelta(days=1)).is_clean


def test_a_dashboard_refund_larger_than_what_is_left_posts_nothing_and_the_admins_are_told(
    client, stripe_server, mailoutbox
):
    # given a $20 order of which $15 was refunded here
    admin = UserFactory(is_staff=True)
    stripe_server.refund_status = "succeeded"
    product = stripe_product(stripe_server, "Guide", cents=2000)
    order = pay(client, stripe_server, checkout(UserFactory(), (product, 1)))
    order_refund_request(actor=admin, order_id=order.pk, amount="15.00", reason="Asked", restock=False)
    outbox_drain()
    [ours] = _refund_transactions()
    cash = balance_of(Account.objects.get(code="stripe:cash"))
    # when $10 more is refunded in the Stripe Dashboard and its events arrive
    made = stripe_server.refund_in_dashboard(order.stripe_checkout_session_id, 1000)
    deliver(client, stripe_server, "refund.created", made)
    deliver(client, stripe_server, "refund.updated", made)
    deliver(
        client, stripe_server, "charge.refunded", stripe_server.charge_for_session(order.stripe_checkout_session_id)
    )
    stripe_events_process_received()
    # then nothing is posted for it and the order is as it was; the admins are told once to look at it
    assert _refund_transactions() == [ours]
    assert balance_of(Account.objects.get(code="stripe:cash")) == cash
    assert not OrderRefund.objects.filter(stripe_refund_id=made["id"]).exists()
    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_REFUNDED and order.refunded_amount == Decimal("15.00")
    [audit] = AuditLog.objects.filter(action="shop.dashboard_refund_unbooked")
    assert audit.details["stripe_refund"] == made["id"] and audit.details["amount"] == "10.00"
    assert "$5.00" in audit.details["problem"]
    [alert] = Notification.objects.filter(kind=DASHBOARD_REFUND)
    assert alert.user == admin and "not booked" in alert.title
    outbox_drain()
    assert [m.to for m in mailoutbox if "not booked" in m.subject] == [[admin.email]]
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {"done"}
    call_command("ledger_check")


@pytest.mark.parametrize("payment_intent_known", [True, False])
def test_a_dashboard_refund_reported_before_the_orders_payment_waits_for_it_then_is_booked(
    client, stripe_server, payment_intent_known
):
    # given an order the buyer paid at Stripe, whose checkout.session.completed has not reached us yet (Stripe may
    # create the session's PaymentIntent only at payment: then the order does not know it; the charge names it)
    product = stripe_product(stripe_server, "Guide", cents=2000)
    order = checkout(UserFactory(), (product, 1))
    if not payment_intent_known:
        Order.objects.filter(pk=order.pk).update(stripe_payment_intent_id="")
    session = stripe_server.shop_session_pay(order.stripe_checkout_session_id)
    # when $5 is refunded in the Stripe Dashboard and that event comes first
    made = stripe_server.refund_in_dashboard(order.stripe_checkout_session_id, 500)
    deliver(client, stripe_server, "refund.created", made)
    with pytest.raises(DashboardRefundWaiting):
        stripe_events_process_received()
    # then it waits (failed, retried by the outbox), with nothing booked
    assert StripeEvent.objects.get(type="refund.created").status == StripeEvent.Status.FAILED
    assert not OrderRefund.objects.exists() and not _refund_transactions()
    # and once the payment is processed, the retry books it
    deliver(client, stripe_server, "checkout.session.completed", session)
    stripe_events_process_received()
    outbox_drain(now=timezone.now() + timedelta(hours=1))
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {"done"}
    [booked] = _refund_transactions()
    assert booked.idempotency_key == f"refund:{made['id']}"
    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_REFUNDED and order.refunded_amount == Decimal("5.00")
    call_command("ledger_check")


def test_a_dashboard_refund_of_a_payment_that_is_no_shop_order_is_not_taken(client, stripe_server):
    refund = {"id": "re_unknown", "amount": 500, "status": "succeeded", "metadata": {}}
    assert order_refund_dashboard_event(refund, "pi_nobody_here", "evt_x") is False
    assert order_refund_dashboard_event(refund, "", "evt_x") is False
    assert not OrderRefund.objects.exists() and not _refund_transactions()
