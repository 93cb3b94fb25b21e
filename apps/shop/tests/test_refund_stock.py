"""Stock and refunds that fail: a refund that returned an order's items to stock and then fails or comes back (the
sale stands again) takes those units back out of stock, exactly and once, never below zero (units sold meanwhile
stay sold, and the admins are told the shortfall). Driven by signed webhooks from the local Stripe."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from apps.accounts.tests.factories import UserFactory, give_totp
from apps.core.models import AuditLog
from apps.core.outbox import outbox_drain
from apps.notifications.models import Notification
from apps.shop.enums import OrderStatus, RefundStatus
from apps.shop.models import Order, OrderRefund, Product
from apps.shop.notify import REFUND_RETURNED
from apps.shop.services.refunds import order_refund_request, order_refund_stripe_event
from apps.wallet.enums import TransactionKind
from apps.wallet.models import Transaction
from apps.wallet.services.webhooks import stripe_events_process_received
from apps.wallet.tests.stripe_flows import deliver
from apps.wallet.tests.stripe_server import webhook_post

from .helpers import checkout, pay, stripe_product

pytestmark = pytest.mark.django_db


def _stock(product: Product) -> int | None:
    product.refresh_from_db()
    return product.stock


def _card_refund(admin, order: Order, amount: str, *, restock: bool) -> OrderRefund:
    refund = order_refund_request(actor=admin, order_id=order.pk, amount=amount, reason="Returned", restock=restock)
    outbox_drain()
    refund.refresh_from_db()
    return refund


def _comes_back(client, stripe_server, refund: OrderRefund, event_type: str = "refund.failed") -> dict:
    """Stripe reports the refund failed after it was made; the event is processed. Returns the event."""
    failed = stripe_server.refund_settle(refund.stripe_refund_id, status="failed")
    event = deliver(client, stripe_server, event_type, failed).event
    stripe_events_process_received()
    return event


def test_a_restocking_refund_that_comes_back_takes_its_units_back_out_of_stock_once(client, stripe_server, mailoutbox):
    # given a card order of 2 decks (5 on hand) and a digital guide, refunded in full with the items returned
    admin = UserFactory(is_staff=True)
    stripe_server.refund_status = "succeeded"
    deck = stripe_product(stripe_server, "Tarot deck", cents=1500, kind="physical", stock=5)
    guide = stripe_product(stripe_server, "Guide", cents=1000)
    order = pay(client, stripe_server, checkout(UserFactory(), (deck, 2), (guide, 1)))
    assert _stock(deck) == 3
    refund = _card_refund(admin, order, "40.00", restock=True)
    assert refund.status == RefundStatus.SUCCEEDED
    assert _stock(deck) == 5 and _stock(guide) is None
    assert refund.restocked == {str(deck.pk): 2} and refund.unstocked is None
    mailoutbox.clear()
    # when the card network returns the refund
    event = _comes_back(client, stripe_server, refund)
    # then the 2 decks the refund returned are taken back out: the stock is what the sale left
    refund.refresh_from_db()
    order.refresh_from_db()
    assert _stock(deck) == 3
    assert refund.status == RefundStatus.FAILED and refund.unstocked == {str(deck.pk): 2}
    assert order.status == OrderStatus.PAID and order.refunded_amount == Decimal("0.00")
    [audit] = AuditLog.objects.filter(action="shop.refund_reversed")
    assert audit.details["unstocked"] == {str(deck.pk): 2} and audit.details["stock_short"] == []
    [alert] = Notification.objects.filter(kind=REFUND_RETURNED)
    assert alert.user == admin and "taken back out of stock" in alert.body and "short" not in alert.body
    # and the same event delivered again, another event about the failure, and a replay take nothing more
    assert webhook_post(client, event).status_code == 200
    deliver(client, stripe_server, "charge.refund.updated", stripe_server.refunds[refund.stripe_refund_id])
    stripe_events_process_received()
    order_refund_stripe_event(stripe_server.refunds[refund.stripe_refund_id], event["id"])
    assert _stock(deck) == 3
    assert Transaction.objects.filter(kind=TransactionKind.REFUND_REVERSAL).count() == 1
    # and the staff order page says the items went back out of stock, not that they are restocked
    give_totp(admin)
    client.force_login(admin)
    page = client.get(reverse("staff_shop:order", args=[order.pk])).content.decode()
    assert "returned to stock, taken back out when it failed" in page and "· restocked" not in page
    assert Notification.objects.filter(kind=REFUND_RETURNED).count() == 1
    outbox_drain()
    assert [m.to for m in mailoutbox if "came back" in m.subject] == [[admin.email]]
    call_command("ledger_check")


def test_units_sold_meanwhile_stay_sold_and_the_admins_are_told_the_shortfall(client, stripe_server, mailoutbox):
    # given the last 2 candles sold, refunded with the candles returned to stock, and 1 of them sold again since
    admin = UserFactory(is_staff=True)
    stripe_server.refund_status = "succeeded"
    candle = stripe_product(stripe_server, "Moon candle", cents=1200, kind="physical", stock=2)
    order = pay(client, stripe_server, checkout(UserFactory(), (candle, 2)))
    refund = _card_refund(admin, order, "24.00", restock=True)
    assert _stock(candle) == 2
    pay(client, stripe_server, checkout(UserFactory(), (candle, 1)))
    assert _stock(candle) == 1
    mailoutbox.clear()
    # when the refund comes back
    _comes_back(client, stripe_server, refund, "charge.refund.updated")
    # then what is on hand is taken back out, never below zero: the stock is 0 and 1 unit is short
    refund.refresh_from_db()
    assert _stock(candle) == 0
    assert refund.status == RefundStatus.FAILED and refund.unstocked == {str(candle.pk): 1}
    [audit] = AuditLog.objects.filter(action="shop.refund_reversed")
    assert audit.details["stock_short"] == [{"product": candle.pk, "name": "Moon candle", "returned": 2, "taken": 1}]
    # and the admins are told the shortfall, in the app and by email
    [alert] = Notification.objects.filter(kind=REFUND_RETURNED)
    assert alert.user == admin and alert.title.endswith("and stock is short")
    assert "stock is short: 1 × Moon candle (2 returned to stock, only 1 on hand to take back)" in alert.body
    outbox_drain()
    [email] = [m for m in mailoutbox if m.to == [admin.email]]
    assert "1 × Moon candle" in email.body
    call_command("ledger_check")


def test_a_refund_without_restock_changes_no_stock_when_it_comes_back(client, stripe_server):
    # given 5 lamps on hand, 2 sold, and $10 of the order refunded by card with nothing returned to stock
    admin = UserFactory(is_staff=True)
    stripe_server.refund_status = "succeeded"
    lamp = stripe_product(stripe_server, "Salt lamp", cents=2000, kind="physical", stock=5)
    order = pay(client, stripe_server, checkout(UserFactory(), (lamp, 2)))
    refund = _card_refund(admin, order, "10.00", restock=False)
    assert _stock(lamp) == 3 and refund.restocked == {}
    # and $5 refunded in the Stripe Dashboard (which never returns anything to stock)
    made = stripe_server.refund_in_dashboard(order.stripe_checkout_session_id, 500)
    deliver(client, stripe_server, "refund.created", made)
    stripe_events_process_received()
    dashboard = OrderRefund.objects.get(stripe_refund_id=made["id"])
    assert dashboard.status == RefundStatus.SUCCEEDED and dashboard.restocked == {}
    # when both come back
    _comes_back(client, stripe_server, refund)
    _comes_back(client, stripe_server, dashboard)
    # then both are reversed and the stock is untouched
    assert Transaction.objects.filter(kind=TransactionKind.REFUND_REVERSAL).count() == 2
    assert _stock(lamp) == 3
    assert set(OrderRefund.objects.values_list("status", "unstocked")) == {(RefundStatus.FAILED, None)}
    for alert in Notification.objects.filter(kind=REFUND_RETURNED):
        assert "stock" not in alert.body
    call_command("ledger_check")


def test_a_restocking_refund_stripe_refuses_takes_its_units_back_out_of_stock(client, stripe_server):
    # given 4 bowls on hand and 3 sold by card
    admin = UserFactory(is_staff=True)
    bowl = stripe_product(stripe_server, "Singing bowl", cents=3000, kind="physical", stock=4)
    order = pay(client, stripe_server, checkout(UserFactory(), (bowl, 3)))
    assert _stock(bowl) == 1
    # when a refund that returns them to stock is asked for, and Stripe refuses it
    stripe_server.fail_next("POST", "/v1/refunds", status=400)
    refund = _card_refund(admin, order, "90.00", restock=True)
    # then the refund failed, nothing was posted, and the stock is what the sale left
    assert refund.status == RefundStatus.FAILED and refund.unstocked == {str(bowl.pk): 3}
    assert _stock(bowl) == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and order.refunded_amount == Decimal("0.00")
    assert not Transaction.objects.filter(kind__in=[TransactionKind.REFUND, TransactionKind.REFUND_REVERSAL]).exists()
    [audit] = AuditLog.objects.filter(action="shop.refund_failed")
    assert audit.details["unstocked"] == {str(bowl.pk): 3} and audit.details["stock_short"] == []
    assert not Notification.objects.filter(kind=REFUND_RETURNED).exists()  # nothing short: nothing to tell
    call_command("ledger_check")


def test_a_refused_restocking_refund_whose_units_were_sold_meanwhile_tells_the_admins(client, stripe_server):
    # given the last incense box sold, a refund returning it to stock asked for, and the box sold again at once
    admin = UserFactory(is_staff=True)
    box = stripe_product(stripe_server, "Incense box", cents=800, kind="physical", stock=1)
    order = pay(client, stripe_server, checkout(UserFactory(), (box, 1)))
    stripe_server.fail_next("POST", "/v1/refunds", status=400)
    refund = order_refund_request(actor=admin, order_id=order.pk, amount="8.00", reason="Returned", restock=True)
    pay(client, stripe_server, checkout(UserFactory(), (box, 1)))
    assert _stock(box) == 0
    # when Stripe refuses the refund
    outbox_drain()
    # then the stock stays at 0 and the admins are told the box is short
    refund.refresh_from_db()
    assert refund.status == RefundStatus.FAILED and refund.unstocked == {str(box.pk): 0}
    assert _stock(box) == 0
    [alert] = Notification.objects.filter(kind=REFUND_RETURNED, user=admin)
    assert "stock is short: 1 × Incense box (1 returned to stock, only 0 on hand to take back)" in alert.body
    call_command("ledger_check")


def test_two_partial_restocking_refunds_return_the_items_once_and_again_after_one_comes_back(client, stripe_server):
    # given a card order of 2 decks (5 on hand, 3 after the sale)
    admin = UserFactory(is_staff=True)
    stripe_server.refund_status = "succeeded"
    deck = stripe_product(stripe_server, "Tarot deck", cents=1500, kind="physical", stock=5)
    order = pay(client, stripe_server, checkout(UserFactory(), (deck, 2)))
    assert _stock(deck) == 3
    # when the order is refunded in two parts, each asking to return the items
    first = _card_refund(admin, order, "10.00", restock=True)
    second = _card_refund(admin, order, "20.00", restock=True)
    # then the 2 decks went back to stock once
    assert _stock(deck) == 5
    assert first.restocked == {str(deck.pk): 2} and second.restocked == {}
    # when the first part comes back, its decks are taken back out, and the second part stands without any
    _comes_back(client, stripe_server, first)
    first.refresh_from_db()
    assert first.unstocked == {str(deck.pk): 2} and _stock(deck) == 3
    # then a new refund of what is left to refund returns the decks again, once
    third = _card_refund(admin, order, "10.00", restock=True)
    assert third.restocked == {str(deck.pk): 2} and _stock(deck) == 5
    call_command("ledger_check")
