"""Stripe event processing and refund submission run through the outbox: exactly one effect across a killed
worker and a broker outage, retries with the outbox's backoff, and rows stored before the move adopted once."""

from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.core.models import OutboxMessage, OutboxStatus
from apps.core.outbox import outbox_backoff, outbox_dispatch, outbox_drain
from apps.wallet import stripe_gateway
from apps.wallet.models import Refund, StripeEvent, TopUp, Transaction
from apps.wallet.selectors import wallet_balance
from apps.wallet.services import topups
from apps.wallet.services.refunds import refund_request

from .stripe_flows import deliver, topup_checkout, topup_paid

pytestmark = pytest.mark.django_db

EVENT_MESSAGE = "wallet.stripe_event_process"
REFUND_MESSAGE = "wallet.refund_submit"


class WorkerKilled(BaseException):
    """The worker process dies here: not an Exception, so no handler or outbox code catches it."""


def broker_down():
    return mock.patch("apps.core.tasks.outbox_dispatch_task.delay", side_effect=ConnectionError("broker down"))


def lease_over(now):
    return now + timedelta(seconds=301)


def test_stripe_webhook_broker_down_event_processed_once_by_sweep(
    client, client_user, stripe_server, django_capture_on_commit_callbacks
):
    # given a paid top-up, and a broker that refuses every task message
    topup = topup_checkout(client_user)
    session = stripe_server.session_pay(topup.stripe_checkout_session_id)
    # when Stripe delivers the signed event (twice) while the broker is down
    with broker_down() as delay, django_capture_on_commit_callbacks(execute=True):
        response = deliver(client, stripe_server, "checkout.session.completed", session)
        again = deliver(client, stripe_server, "checkout.session.completed", session)
    # then the webhook still answers 200, and event and message are stored: nothing is lost
    assert response.status_code == 200 and again.status_code == 200 and delay.call_count == 2
    assert OutboxMessage.objects.filter(name=EVENT_MESSAGE, status=OutboxStatus.PENDING).count() == 2
    # and the sweep credits the wallet exactly once
    outbox_drain()
    assert outbox_drain() == 0
    assert Transaction.objects.filter(kind="top_up").count() == 1
    assert wallet_balance(user=client_user) == Decimal("25.00")
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {StripeEvent.Status.DONE}
    call_command("ledger_check")


def test_stripe_event_worker_killed_after_credit_credits_once(client, client_user, stripe_server, monkeypatch):
    # given a delivered event, and a worker that dies right after the credit committed
    topup = topup_checkout(client_user)
    deliver(
        client, stripe_server, "checkout.session.completed", stripe_server.session_pay(topup.stripe_checkout_session_id)
    )
    real_credit = topups.topup_credit

    def credit_then_die(**kwargs):
        real_credit(**kwargs)
        raise WorkerKilled

    monkeypatch.setattr(topups, "topup_credit", credit_then_die)
    message = OutboxMessage.objects.get(name=EVENT_MESSAGE)
    start = timezone.now()
    with pytest.raises(WorkerKilled):
        outbox_dispatch(message_id=message.pk, now=start)
    monkeypatch.setattr(topups, "topup_credit", real_credit)
    event = StripeEvent.objects.get()
    assert event.status == StripeEvent.Status.PROCESSING
    # when the lease is over, while the dead worker's claim on the event is still fresh: tried again later
    assert outbox_drain(now=lease_over(start)) == 1
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING and "processing" in message.last_error
    # and once the event's claim is stale too, the next retry finishes it
    StripeEvent.objects.filter(pk=event.pk).update(updated_at=timezone.now() - timedelta(minutes=16))
    assert outbox_drain(now=lease_over(start) + timedelta(hours=1)) == 1
    # then exactly one credit, the event done, the message done
    message.refresh_from_db()
    event.refresh_from_db()
    assert message.status == OutboxStatus.DONE and event.status == StripeEvent.Status.DONE
    assert Transaction.objects.filter(kind="top_up").count() == 1
    assert wallet_balance(user=client_user) == Decimal("25.00")
    call_command("ledger_check")


def test_refund_request_broker_down_submitted_once_by_sweep(
    client, admin_user, client_user, stripe_server, django_capture_on_commit_callbacks
):
    # given a paid top-up
    paid = topup_paid(client, stripe_server, client_user, "25.00")
    outbox_drain()  # (the top-up's event, processed already by the helper)
    # when an admin asks for a refund while the broker is down
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        refund = refund_request(actor=admin_user, topup_id=paid.pk, amount="5.00", reason="asked")
    # then the refund and its message committed; the sweep sends it to Stripe once
    assert OutboxMessage.objects.filter(name=REFUND_MESSAGE, kwargs={"refund_pk": refund.pk}).exists()
    assert not stripe_server.requests_to("POST", "/v1/refunds")
    outbox_drain()
    assert outbox_drain() == 0
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUBMITTED
    assert len(stripe_server.requests_to("POST", "/v1/refunds")) == 1 and len(stripe_server.refunds) == 1


def test_refund_submit_worker_killed_after_stripe_call_refunds_once(
    client, admin_user, client_user, stripe_server, monkeypatch
):
    # given a refund whose worker dies right after Stripe accepted it, before the row was updated
    paid = topup_paid(client, stripe_server, client_user, "25.00")
    outbox_drain()  # (the top-up's event, processed already by the helper)
    refund = refund_request(actor=admin_user, topup_id=paid.pk, amount="5.00", reason="asked")
    real_create = stripe_gateway.refund_create

    def create_then_die(**kwargs):
        real_create(**kwargs)
        raise WorkerKilled

    monkeypatch.setattr(stripe_gateway, "refund_create", create_then_die)
    message = OutboxMessage.objects.get(name=REFUND_MESSAGE)
    start = timezone.now()
    with pytest.raises(WorkerKilled):
        outbox_dispatch(message_id=message.pk, now=start)
    monkeypatch.setattr(stripe_gateway, "refund_create", real_create)
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PENDING and len(stripe_server.refunds) == 1
    # when: nobody runs it during the lease; the sweep runs it after
    assert outbox_drain(now=start + timedelta(seconds=60)) == 0
    assert outbox_drain(now=lease_over(start)) == 1
    # then the same idempotency key made Stripe answer with the first refund: one refund, linked
    refund.refresh_from_db()
    [stripe_refund] = stripe_server.refunds.values()
    requests = stripe_server.requests_to("POST", "/v1/refunds")
    assert len(requests) == 2 and {r.idempotency_key for r in requests} == {f"refund-request:{refund.pk}"}
    assert refund.status == Refund.Status.SUBMITTED and refund.stripe_refund_id == stripe_refund["id"]
    message.refresh_from_db()
    assert message.status == OutboxStatus.DONE


def test_refund_submit_stripe_down_retried_with_outbox_backoff(client, admin_user, client_user, stripe_server):
    # given a refund, and Stripe answering 503 to the next two attempts (the SDK itself tries three times)
    paid = topup_paid(client, stripe_server, client_user, "25.00")
    outbox_drain()  # (the top-up's event, processed already by the helper)
    refund = refund_request(actor=admin_user, topup_id=paid.pk, amount="5.00", reason="asked")
    stripe_server.fail_next("POST", "/v1/refunds", status=503, times=6)
    message = OutboxMessage.objects.get(name=REFUND_MESSAGE)
    start = timezone.now()
    # when / then: each failed attempt waits the outbox's backoff, twice as long the second time
    assert outbox_drain(now=start) == 1
    message.refresh_from_db()
    assert message.next_attempt_at == start + outbox_backoff(1) and "RefundSubmitRetry" in message.last_error
    assert outbox_drain(now=start + outbox_backoff(1) - timedelta(seconds=1)) == 0
    second = start + outbox_backoff(1)
    assert outbox_drain(now=second) == 1
    message.refresh_from_db()
    assert message.next_attempt_at == second + outbox_backoff(2)
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PENDING and refund.submit_attempts == 2
    # and the third attempt goes through, once
    assert outbox_drain(now=second + outbox_backoff(2)) == 1
    refund.refresh_from_db()
    message.refresh_from_db()
    assert refund.status == Refund.Status.SUBMITTED and message.status == OutboxStatus.DONE
    assert len(stripe_server.refunds) == 1


def test_refund_submit_stripe_refuses_refund_failed_message_done(client, admin_user, client_user, stripe_server):
    # given a refund Stripe refuses (a 4xx is an answer, not an outage)
    paid = topup_paid(client, stripe_server, client_user, "25.00")
    outbox_drain()  # (the top-up's event, processed already by the helper)
    refund = refund_request(actor=admin_user, topup_id=paid.pk, amount="5.00", reason="asked")
    stripe_server.fail_next("POST", "/v1/refunds", status=400)
    # when
    assert outbox_drain() == 1
    # then the refund failed, its hold went back to the wallet, and nothing is retried
    refund.refresh_from_db()
    assert refund.status == Refund.Status.FAILED
    assert OutboxMessage.objects.get(name=REFUND_MESSAGE).status == OutboxStatus.DONE
    assert wallet_balance(user=client_user) == Decimal("25.00")
    assert outbox_drain(now=timezone.now() + timedelta(days=1)) == 0


def test_wallet_outbox_adopt_gives_unfinished_rows_without_message_one_once(
    client, admin_user, client_user, stripe_server
):
    # given an event and a refund stored before processing moved onto the outbox (no message), and a done event
    topup = topup_checkout(client_user)
    deliver(
        client, stripe_server, "checkout.session.completed", stripe_server.session_pay(topup.stripe_checkout_session_id)
    )
    paid = topup_paid(client, stripe_server, client_user, "30.00")
    refund = refund_request(actor=admin_user, topup_id=paid.pk, amount="5.00", reason="asked")
    outbox_drain()  # the done event and the submitted refund
    legacy_refund = refund_request(actor=admin_user, topup_id=paid.pk, amount="5.00", reason="asked")
    deliver(client, stripe_server, "ping", {"id": "x", "object": "ping"})
    legacy_event = StripeEvent.objects.get(type="ping")
    OutboxMessage.objects.filter(kwargs__in=[{"event_pk": legacy_event.pk}, {"refund_pk": legacy_refund.pk}]).delete()
    # when the release phase runs the command, twice
    call_command("wallet_outbox_adopt")
    call_command("wallet_outbox_adopt")
    # then each of them got exactly one message, the finished rows none, and the sweep finishes them
    assert OutboxMessage.objects.filter(name=EVENT_MESSAGE, kwargs={"event_pk": legacy_event.pk}).count() == 1
    assert OutboxMessage.objects.filter(name=REFUND_MESSAGE, kwargs={"refund_pk": legacy_refund.pk}).count() == 1
    assert OutboxMessage.objects.filter(dedupe_key__contains="adopt").count() == 2
    outbox_drain()
    legacy_event.refresh_from_db()
    legacy_refund.refresh_from_db()
    refund.refresh_from_db()
    assert legacy_event.status == StripeEvent.Status.DONE and legacy_refund.status == Refund.Status.SUBMITTED
    assert refund.status == Refund.Status.SUBMITTED and TopUp.objects.filter(status=TopUp.Status.PAID).count() == 2
    assert len(stripe_server.refunds) == 2
