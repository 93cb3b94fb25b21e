"""Stripe events that arrive before the top-up they belong to is credited are kept pending and applied once it
is: a refund or a dispute delivered early must never leave the refunded or disputed money in the wallet."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from apps.core.models import AuditLog, OutboxMessage
from apps.core.outbox import outbox_backoff, outbox_drain
from apps.notifications.models import Notification
from apps.wallet.models import Account, Dispute, Refund, StripeEvent, TopUp, Transaction
from apps.wallet.selectors import balance_of, wallet_balance
from apps.wallet.services.ledger import house_account
from apps.wallet.services.webhooks import stripe_event_process, stripe_events_process_received

from .stripe_flows import deliver, topup_checkout
from .stripe_server import example

pytestmark = pytest.mark.django_db


def dispute_of(server, topup, status="needs_response", *, by_charge_only=False):
    charge = server.charge_for_session(topup.stripe_checkout_session_id)
    return example(
        "dispute",
        id=f"dp_early_{topup.pk}",
        amount=charge["amount"],
        charge=charge["id"],
        payment_intent=None if by_charge_only else charge["payment_intent"],
        currency="usd",
        status=status,
        reason="fraudulent",
    )


def wallet_frozen(user) -> bool:
    return Account.objects.filter(code=f"wallet:{user.pk}", is_frozen=True).exists()


@pytest.mark.parametrize("lazy_payment_intent", [False, True], ids=["intent-known", "intent-not-yet-known"])
def test_refund_succeeded_before_topup_credited_is_applied_after_credit(
    client, client_user, stripe_server, lazy_payment_intent
):
    # given a top-up paid on Checkout, refunded in the Stripe Dashboard before its completion webhook arrives
    stripe_server.lazy_payment_intent = lazy_payment_intent
    topup = topup_checkout(client_user, "25.00")
    session = stripe_server.session_pay(topup.stripe_checkout_session_id)
    refund = stripe_server.refund_in_dashboard(topup.stripe_checkout_session_id, 1000)
    deliver(client, stripe_server, "refund.created", refund)
    deliver(client, stripe_server, "charge.refunded", stripe_server.charge_for_session(session["id"]))
    stripe_events_process_received()
    # then nothing is booked yet and the events wait for the payment
    assert not Transaction.objects.filter(kind="refund").exists()
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {StripeEvent.Status.PENDING}
    # when the top-up is credited
    deliver(client, stripe_server, "checkout.session.completed", session)
    stripe_events_process_received()
    # then the refund is taken from the wallet, not from platform:losses
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.PAID and topup.stripe_payment_intent_id == session["payment_intent"]
    assert topup.stripe_charge_id == stripe_server.charge_for_session(session["id"])["id"]
    assert wallet_balance(user=client_user) == Decimal("15.00")
    assert balance_of(house_account("platform:losses")) == Decimal("0.00")
    assert Refund.objects.get().status == Refund.Status.SUCCEEDED
    assert Transaction.objects.filter(kind="refund").count() == 1
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {StripeEvent.Status.DONE}
    call_command("ledger_check")


@pytest.mark.parametrize("by_charge_only", [False, True], ids=["names-intent", "names-charge-only"])
def test_dispute_withdrawn_before_topup_credited_takes_the_money_after_credit(
    client, client_user, stripe_server, by_charge_only
):
    # given a paid top-up disputed (funds withdrawn) before its completion webhook arrives
    topup = topup_checkout(client_user, "25.00")
    session = stripe_server.session_pay(topup.stripe_checkout_session_id)
    deliver(
        client, stripe_server, "charge.dispute.created", dispute_of(stripe_server, topup, by_charge_only=by_charge_only)
    )
    deliver(
        client,
        stripe_server,
        "charge.dispute.funds_withdrawn",
        dispute_of(stripe_server, topup, by_charge_only=by_charge_only),
    )
    stripe_events_process_received()
    assert not Dispute.objects.exists() and not Transaction.objects.filter(kind="chargeback").exists()
    # when the top-up is credited
    deliver(client, stripe_server, "checkout.session.completed", session)
    stripe_events_process_received()
    # then the chargeback takes the credited money; the wallet is frozen
    assert wallet_balance(user=client_user) == Decimal("0.00")
    assert balance_of(house_account("platform:losses")) == Decimal("0.00")
    assert Dispute.objects.get().status == Dispute.Status.FUNDS_WITHDRAWN and wallet_frozen(client_user)
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {StripeEvent.Status.DONE}
    call_command("ledger_check")


def early_refund_event(client, client_user, stripe_server):
    topup = topup_checkout(client_user, "25.00")
    stripe_server.session_pay(topup.stripe_checkout_session_id)
    refund = stripe_server.refund_in_dashboard(topup.stripe_checkout_session_id, 500)
    deliver(client, stripe_server, "refund.updated", refund)
    stripe_events_process_received()
    return StripeEvent.objects.get()


def test_stripe_event_process_message_waiting_retried_with_outbox_backoff(client, client_user, stripe_server):
    # given an early refund event waiting for its payment, and its outbox message due
    event = early_refund_event(client, client_user, stripe_server)
    assert event.status == StripeEvent.Status.PENDING and event.payment_intent_id and event.attempts == 1
    message = OutboxMessage.objects.get(name="wallet.stripe_event_process", kwargs={"event_pk": event.pk})
    start = timezone.now()
    # when the outbox runs it: the event still waits, and the message backs off
    assert outbox_drain(now=start) == 1
    message.refresh_from_db()
    event.refresh_from_db()
    assert event.status == StripeEvent.Status.PENDING and event.attempts == 2
    assert message.attempts == 1 and message.next_attempt_at == start + outbox_backoff(1)
    assert "Waiting for the top-up" in message.last_error
    # then nothing runs before the backoff is over; after it the event is tried again, with a longer wait
    assert outbox_drain(now=start + outbox_backoff(1) - timedelta(seconds=1)) == 0
    second = start + outbox_backoff(1)
    assert outbox_drain(now=second) == 1
    message.refresh_from_db()
    event.refresh_from_db()
    assert event.attempts == 3 and message.next_attempt_at == second + outbox_backoff(2)


def test_staff_stripe_panel_counts_events_waiting_for_their_payment(client, client_user, admin_client, stripe_server):
    early_refund_event(client, client_user, stripe_server)
    panel = admin_client.get(reverse("staff_wallet:stripe_panel")).content.decode()
    assert "1 waits for a top-up to be credited" in panel


def test_stripe_events_waiting_an_hour_alert_admins_once(client, client_user, admin_user, stripe_server):
    # given an early refund event, and an admin who wants account emails
    event = early_refund_event(client, client_user, stripe_server)
    now = timezone.now()
    # when the outbox retries it 59 minutes, then 61 minutes, then 2 hours after it arrived
    StripeEvent.objects.filter(pk=event.pk).update(created_at=now - timedelta(minutes=59))
    outbox_drain(now=now)
    assert not Notification.objects.exists()
    StripeEvent.objects.filter(pk=event.pk).update(created_at=now - timedelta(minutes=61))
    outbox_drain(now=now + timedelta(hours=1))
    outbox_drain(now=now + timedelta(hours=2))
    # then the admins were told once, in-app, and it is audited
    [notification] = Notification.objects.all()
    assert notification.user == admin_user and event.stripe_event_id in notification.body
    assert AuditLog.objects.filter(action="wallet.stripe_event_unmatched").count() == 1
    event.refresh_from_db()
    assert event.alerted_at is not None and event.status == StripeEvent.Status.PENDING


def test_refund_of_a_payment_that_is_not_a_top_up_is_not_kept_waiting(client, client_user, stripe_server):
    # given a charge of another product (no top-up metadata) refunded at Stripe
    charge = example("charge", id="ch_test_shop", payment_intent="pi_test_shop", metadata={}, amount=900)
    stripe_server.charges[charge["id"]] = charge
    refund = example("refund", id="re_test_shop", charge=charge["id"], payment_intent="pi_test_shop", amount=900)
    # when its event arrives
    deliver(client, stripe_server, "refund.updated", refund)
    stripe_events_process_received()
    # then Stripe was asked whose charge it is, and the event is done: nothing waits, nothing is booked
    assert stripe_server.requests_to("GET", "/v1/charges/ch_test_shop")
    assert StripeEvent.objects.get().status == StripeEvent.Status.DONE
    assert not Refund.objects.exists() and not Transaction.objects.exists()


def test_payment_intent_succeeded_records_ids_without_crediting(client, client_user, stripe_server):
    # given a top-up paid on Checkout (Checkout creates the PaymentIntent only now)
    stripe_server.lazy_payment_intent = True
    topup = topup_checkout(client_user, "25.00")
    assert topup.stripe_payment_intent_id == ""
    session = stripe_server.session_pay(topup.stripe_checkout_session_id)
    charge = stripe_server.charge_for_session(session["id"])
    intent = example(
        "payment_intent",
        id=session["payment_intent"],
        amount=2500,
        status="succeeded",
        latest_charge=charge["id"],
        metadata=dict(session["metadata"]),
    )
    # when payment_intent.succeeded arrives first
    deliver(client, stripe_server, "payment_intent.succeeded", intent)
    stripe_events_process_received()
    # then the top-up knows its PaymentIntent and charge, and is not credited by it
    topup.refresh_from_db()
    assert topup.stripe_payment_intent_id == session["payment_intent"] and topup.stripe_charge_id == charge["id"]
    assert topup.status == TopUp.Status.PENDING and not Transaction.objects.exists()
    # and a dispute naming only the charge is matched here, without asking Stripe
    deliver(client, stripe_server, "charge.dispute.created", dispute_of(stripe_server, topup, by_charge_only=True))
    stripe_events_process_received()
    assert not stripe_server.requests_to("GET", f"/v1/charges/{charge['id']}")
    assert StripeEvent.objects.filter(status=StripeEvent.Status.PENDING).count() == 1
    deliver(client, stripe_server, "checkout.session.completed", session)
    stripe_events_process_received()
    assert Dispute.objects.get().topup == topup and wallet_frozen(client_user)


def test_topup_credit_releases_waiting_events_through_the_outbox(client, client_user, stripe_server):
    # given an early refund event waiting for its payment
    waiting = early_refund_event(client, client_user, stripe_server)
    topup = TopUp.objects.get()
    session = stripe_server.sessions[topup.stripe_checkout_session_id]
    # when only the completion event is processed (as a worker would)
    completed = deliver(client, stripe_server, "checkout.session.completed", stripe_server.public(session)).event
    stripe_event_process(event_pk=StripeEvent.objects.get(stripe_event_id=completed["id"]).pk)
    # then the waiting event was released in the credit's transaction, with an outbox message to process it
    waiting.refresh_from_db()
    assert waiting.status == StripeEvent.Status.RECEIVED
    [message] = OutboxMessage.objects.filter(dedupe_key__startswith="stripe-event-release:")
    assert message.kwargs == {"event_pk": waiting.pk}
    # when the outbox runs it
    assert outbox_drain() >= 1
    # then the refund is booked from the credited wallet
    waiting.refresh_from_db()
    assert waiting.status == StripeEvent.Status.DONE
    assert wallet_balance(user=client_user) == Decimal("20.00")
    call_command("ledger_check")


def test_topup_credited_between_refund_check_and_parking_is_processed_at_once(
    client, client_user, stripe_server, monkeypatch
):
    # given a refund whose top-up is credited after the refund found it uncredited, before the event is parked
    from apps.wallet.services import webhooks

    topup = topup_checkout(client_user, "25.00")
    session = stripe_server.session_pay(topup.stripe_checkout_session_id)
    refund_event = deliver(
        client, stripe_server, "refund.updated", stripe_server.refund_in_dashboard(session["id"], 1000)
    ).event
    completed = deliver(client, stripe_server, "checkout.session.completed", session).event
    park = webhooks._pending

    def credit_first_then_park(event, waiting):
        monkeypatch.setattr(webhooks, "_pending", park)
        stripe_event_process(event_pk=StripeEvent.objects.get(stripe_event_id=completed["id"]).pk)
        return park(event, waiting)

    monkeypatch.setattr(webhooks, "_pending", credit_first_then_park)
    # when the refund event is processed
    stripe_event_process(event_pk=StripeEvent.objects.get(stripe_event_id=refund_event["id"]).pk)
    # then it did not wait for a sweep: the refund is booked now
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {StripeEvent.Status.DONE}
    assert wallet_balance(user=client_user) == Decimal("15.00")
