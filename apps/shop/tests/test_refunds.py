"""Card refunds of shop orders that Stripe reports failed: after they were made (the card network returned the
money) one reversing entry, the order refundable again and the admins told; before they were booked nothing
posted; a late success after a failure changes nothing. Driven by signed webhooks from the local Stripe."""

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
from apps.shop.models import OrderRefund
from apps.shop.notify import REFUND_RETURNED, REFUND_RETURNED_TO_BUYER
from apps.shop.services.refunds import order_refund_request, order_refund_stripe_event
from apps.wallet import stripe_gateway
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


def _refund(admin, order, amount: str) -> OrderRefund:
    refund = order_refund_request(actor=admin, order_id=order.pk, amount=amount, reason="Asked", restock=False)
    outbox_drain()
    refund.refresh_from_db()
    return refund


def _refund_made_in_stripe_not_booked(client, stripe_server, admin, amount: str):
    """A paid $20 order and a refund of ``amount`` asked for, which Stripe created (the submission's request went
    through) but which is not booked yet: the order, the refund row and Stripe's refund object."""
    product = stripe_product(stripe_server, "Guide", cents=2000)
    order = pay(client, stripe_server, checkout(UserFactory(), (product, 1)))
    refund = order_refund_request(actor=admin, order_id=order.pk, amount=amount, reason="Asked", restock=False)
    created = stripe_gateway.refund_create(
        payment_intent_id=order.stripe_payment_intent_id,
        amount=refund.amount,
        metadata={"purpose": "shop_order", "order_id": str(order.pk), "shop_refund_id": str(refund.pk)},
        idempotency_key=f"shop-refund:{refund.pk}",
    )
    return order, refund, created


def _reversals() -> list[Transaction]:
    return list(Transaction.objects.filter(kind=TransactionKind.REFUND_REVERSAL))


@pytest.mark.parametrize("event_type", ["refund.failed", "refund.updated", "charge.refund.updated"])
def test_refund_failed_after_it_succeeded_is_reversed_once_and_the_admins_are_told(
    client, stripe_server, mailoutbox, event_type
):
    # given a $40 order of a reader's product, refunded $10 and then $30 by card, both succeeded
    admin = UserFactory(is_staff=True)
    reader = make_reader()
    stripe_server.refund_status = "succeeded"
    buyer = UserFactory()
    product = stripe_product(stripe_server, "Reader's deck", cents=4000, reader=reader)
    order = pay(client, stripe_server, checkout(buyer, (product, 1)))
    codes = ("stripe:cash", f"earnings:{reader.pk}", "platform:revenue")
    paid = _balances(*codes)
    first = _refund(admin, order, "10.00")
    second = _refund(admin, order, "30.00")
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED and order.refunded_amount == Decimal("40.00")
    assert second.status == RefundStatus.SUCCEEDED
    # when the card network returns the $30: Stripe reports that refund failed
    failed = stripe_server.refund_settle(second.stripe_refund_id, status="failed")
    assert deliver(client, stripe_server, event_type, failed).status_code == 200
    stripe_events_process_received()
    # then one reversing entry, the exact opposite of the $30 refund's
    [reversal] = _reversals()
    assert reversal.idempotency_key == f"refund-failure:{second.stripe_refund_id}"
    assert reversal.stripe_refund_id == second.stripe_refund_id
    assert (reversal.subject_type, reversal.subject_id) == ("shop_order", order.pk)
    assert _legs(reversal) == {
        "stripe:cash": Decimal("-30.00"),
        f"earnings:{reader.pk}": Decimal("21.00"),
        "platform:revenue": Decimal("9.00"),
    }
    # the balances are those of the order refunded $10 only
    assert _balances(*codes) == {
        "stripe:cash": paid["stripe:cash"] + Decimal("10.00"),
        f"earnings:{reader.pk}": paid[f"earnings:{reader.pk}"] - Decimal("7.00"),
        "platform:revenue": paid["platform:revenue"] - Decimal("3.00"),
    }
    # the refund is failed with Stripe's reason; the order is partially refunded and $30 is refundable again
    second.refresh_from_db()
    first.refresh_from_db()
    order.refresh_from_db()
    assert second.status == RefundStatus.FAILED and "expired_or_canceled_card" in second.error
    assert first.status == RefundStatus.SUCCEEDED
    assert order.status == OrderStatus.PARTIALLY_REFUNDED and order.refunded_amount == Decimal("10.00")
    with pytest.raises(InvalidRefund, match=r"At most \$30.00"):
        order_refund_request(actor=admin, order_id=order.pk, amount="30.01", reason="Too much", restock=False)
    # audited, and every admin told in the app and by email
    [audit] = AuditLog.objects.filter(action="shop.refund_reversed")
    assert audit.details["refund"] == second.pk and audit.details["transaction"] == reversal.pk
    [alert] = Notification.objects.filter(kind=REFUND_RETURNED)
    assert alert.user == admin and f"/staff/shop/orders/{order.pk}/" == alert.url
    outbox_drain()
    assert [m.to for m in mailoutbox if "came back" in m.subject] == [[admin.email]]
    # and the buyer is told, in the app and by email, that the $30 did not reach the card and how to reach support
    [told] = Notification.objects.filter(kind=REFUND_RETURNED_TO_BUYER)
    assert told.user == buyer and told.title == f"Order #{order.pk}: your $30.00 refund did not reach your card"
    assert "support" in told.body and told.url == "/help/contact/"
    [email] = [m for m in mailoutbox if m.to == [buyer.email] and "did not reach your card" in m.subject]
    assert "support" in email.body and "/help/contact/" in email.body
    # the ledger holds and matches Stripe (its refund_failure balance transaction nets the refund out)
    call_command("ledger_check")
    assert reconcile_stripe(since=timezone.now().date() - timedelta(days=1)).is_clean


def test_the_same_failure_delivered_again_and_replayed_reverses_once(client, stripe_server):
    admin = UserFactory(is_staff=True)
    stripe_server.refund_status = "succeeded"
    product = stripe_product(stripe_server, "Guide", cents=2000)
    order = pay(client, stripe_server, checkout(UserFactory(), (product, 1)))
    refund = _refund(admin, order, "20.00")
    cash_before_failure = balance_of(Account.objects.get(code="stripe:cash"))
    failed = stripe_server.refund_settle(refund.stripe_refund_id, status="failed")
    # when the same event is delivered twice, Stripe sends another event about the same failure, and it is replayed
    event = deliver(client, stripe_server, "refund.failed", failed).event
    assert webhook_post(client, event).status_code == 200
    deliver(client, stripe_server, "charge.refund.updated", failed)
    stripe_events_process_received()
    order_refund_stripe_event(failed, "evt_replayed")
    # then
    assert StripeEvent.objects.filter(type__in=["refund.failed", "charge.refund.updated"]).count() == 2
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {"done"}
    assert len(_reversals()) == 1
    assert balance_of(Account.objects.get(code="stripe:cash")) == cash_before_failure - Decimal("20.00")
    order.refresh_from_db()  # a digital order, fulfilled when paid: fulfilled again
    assert order.status == OrderStatus.FULFILLED and order.refunded_amount == Decimal("0.00")
    assert AuditLog.objects.filter(action="shop.refund_reversed").count() == 1
    assert Notification.objects.filter(kind=REFUND_RETURNED).count() == 1
    call_command("ledger_check")


def test_a_late_success_after_the_failure_changes_nothing(client, stripe_server):
    # given a refund Stripe accepted as pending (booked), then reported failed
    admin = UserFactory(is_staff=True)
    stripe_server.refund_status = "pending"
    product = stripe_product(stripe_server, "Candle", cents=1500, kind="physical", stock=3)
    order = pay(client, stripe_server, checkout(UserFactory(), (product, 1)))
    refund = _refund(admin, order, "5.00")
    assert refund.status == RefundStatus.SUBMITTED
    assert Transaction.objects.filter(idempotency_key=f"refund:{refund.stripe_refund_id}").exists()
    failed = stripe_server.refund_settle(refund.stripe_refund_id, status="failed")
    deliver(client, stripe_server, "refund.failed", failed)
    stripe_events_process_received()
    assert len(_reversals()) == 1
    cash = balance_of(Account.objects.get(code="stripe:cash"))
    # when a "succeeded" arrives late
    deliver(client, stripe_server, "refund.updated", {**failed, "status": "succeeded"})
    stripe_events_process_received()
    # then nothing more: still failed, one refund and one reversal, the order paid again
    refund.refresh_from_db()
    order.refresh_from_db()
    assert refund.status == RefundStatus.FAILED
    assert len(_reversals()) == 1
    assert Transaction.objects.filter(kind=TransactionKind.REFUND).count() == 1
    assert balance_of(Account.objects.get(code="stripe:cash")) == cash
    assert order.status == OrderStatus.PAID and order.refunded_amount == Decimal("0.00")
    call_command("ledger_check")


def test_a_failure_before_the_refund_was_booked_posts_nothing_and_the_submission_then_books_nothing(
    client, stripe_server
):
    # given a refund Stripe created (the submission's request went through) but that is not booked yet
    admin = UserFactory(is_staff=True)
    stripe_server.refund_status = "pending"
    order, refund, created = _refund_made_in_stripe_not_booked(client, stripe_server, admin, "20.00")
    # when Stripe reports it failed before it was booked
    failed = stripe_server.refund_settle(created["id"], status="failed")
    deliver(client, stripe_server, "refund.failed", failed)
    stripe_events_process_received()
    # then it is failed, nothing posted, nothing reversed, the order as before the refund
    refund.refresh_from_db()
    order.refresh_from_db()
    assert refund.status == RefundStatus.FAILED and refund.stripe_refund_id == created["id"]
    assert order.status == OrderStatus.FULFILLED and order.refunded_amount == Decimal("0.00")
    assert not Transaction.objects.filter(kind__in=[TransactionKind.REFUND, TransactionKind.REFUND_REVERSAL]).exists()
    assert AuditLog.objects.filter(action="shop.refund_failed").count() == 1
    assert not Notification.objects.filter(kind=REFUND_RETURNED).exists()
    # and the submission (the outbox message) and a late "succeeded" book nothing
    outbox_drain()
    deliver(client, stripe_server, "refund.updated", {**failed, "status": "succeeded"})
    stripe_events_process_received()
    refund.refresh_from_db()
    assert refund.status == RefundStatus.FAILED
    assert not Transaction.objects.filter(kind__in=[TransactionKind.REFUND, TransactionKind.REFUND_REVERSAL]).exists()
    call_command("ledger_check")


def test_a_success_reported_before_the_submission_booked_it_is_booked_once(client, stripe_server):
    # given a refund Stripe created and settled while its submission had not booked it yet
    admin = UserFactory(is_staff=True)
    stripe_server.refund_status = "succeeded"
    _order, refund, created = _refund_made_in_stripe_not_booked(client, stripe_server, admin, "8.00")
    # when its event arrives first, then the submission runs
    deliver(client, stripe_server, "refund.created", stripe_server.refunds[created["id"]])
    stripe_events_process_received()
    outbox_drain()
    # then it is booked once, by its Stripe id, and Stripe was asked once
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED and refund.stripe_refund_id == created["id"]
    [booked] = Transaction.objects.filter(kind=TransactionKind.REFUND)
    assert booked.idempotency_key == f"refund:{created['id']}"
    assert len(stripe_server.refunds) == 1
    call_command("ledger_check")
    assert reconcile_stripe(since=timezone.now().date() - timedelta(days=1)).is_clean


def test_a_buyer_who_wants_no_account_email_is_told_of_a_returned_refund_in_the_app_only(
    client, stripe_server, mailoutbox
):
    # given a buyer who turned account emails off, and a $20 card refund of their order that succeeded
    admin = UserFactory(is_staff=True)
    buyer = UserFactory(notify_email_account=False)
    stripe_server.refund_status = "succeeded"
    product = stripe_product(stripe_server, "Guide", cents=2000)
    order = pay(client, stripe_server, checkout(buyer, (product, 1)))
    refund = _refund(admin, order, "20.00")
    mailoutbox.clear()
    # when the card network returns it
    deliver(client, stripe_server, "refund.failed", stripe_server.refund_settle(refund.stripe_refund_id, "failed"))
    stripe_events_process_received()
    outbox_drain()
    # then the buyer is told in the app, with no email; the admins are emailed as ever
    [told] = Notification.objects.filter(kind=REFUND_RETURNED_TO_BUYER)
    assert told.user == buyer and told.email_requested is False
    assert [m.to for m in mailoutbox] == [[admin.email]]
