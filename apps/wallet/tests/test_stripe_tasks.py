"""Stripe tasks and the outbox sweep: lost task messages are re-sent, nothing is lost between commit and Stripe."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.wallet import tasks
from apps.wallet.models import Refund, StripeEvent
from apps.wallet.services.refunds import refund_request

from .stripe_flows import deliver, topup_checkout, topup_paid

pytestmark = pytest.mark.django_db


@pytest.fixture
def enqueued(monkeypatch):
    """Record task messages instead of sending them to the broker."""
    sent: dict[str, list[int]] = {"events": [], "refunds": []}
    monkeypatch.setattr(tasks.stripe_event_process_task, "delay", lambda pk: sent["events"].append(pk))
    monkeypatch.setattr(tasks.refund_submit_task, "delay", lambda pk: sent["refunds"].append(pk))
    return sent


def test_stripe_webhook_on_commit_enqueues_processing_task(
    client, client_user, stripe_server, enqueued, django_capture_on_commit_callbacks
):
    topup = topup_checkout(client_user)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(
            client,
            stripe_server,
            "checkout.session.completed",
            stripe_server.session_pay(topup.stripe_checkout_session_id),
        )
    assert enqueued["events"] == [StripeEvent.objects.get().pk]


def test_refund_request_on_commit_enqueues_submit_task(
    client, admin_user, client_user, stripe_server, enqueued, django_capture_on_commit_callbacks
):
    paid = topup_paid(client, stripe_server, client_user, "25.00")
    with django_capture_on_commit_callbacks(execute=True):
        refund = refund_request(actor=admin_user, topup_id=paid.pk, amount="5.00", reason="asked")
    assert enqueued["refunds"] == [refund.pk]


def test_stripe_outbox_sweep_requeues_lost_events_and_refunds_only(
    client, admin_user, client_user, stripe_server, enqueued
):
    # given an event and a refund whose task messages were lost minutes ago, and fresh ones
    paid = topup_paid(client, stripe_server, client_user, "25.00")
    old_refund = refund_request(actor=admin_user, topup_id=paid.pk, amount="5.00", reason="asked")
    new_refund = refund_request(actor=admin_user, topup_id=paid.pk, amount="5.00", reason="asked")
    deliver(client, stripe_server, "ping", {"id": "x", "object": "ping"})
    deliver(client, stripe_server, "ping", {"id": "y", "object": "ping"})
    old_event, new_event = StripeEvent.objects.filter(type="ping").order_by("pk")
    long_ago = timezone.now() - timedelta(minutes=10)
    StripeEvent.objects.filter(pk=old_event.pk).update(created_at=long_ago)
    Refund.objects.filter(pk=old_refund.pk).update(updated_at=long_ago)
    # when
    result = tasks.stripe_outbox_sweep_task()
    # then only the stale ones are re-sent
    assert enqueued["events"] == [old_event.pk] and enqueued["refunds"] == [old_refund.pk]
    assert result == {"events": 1, "refunds": 1, "pending_events": 0}
    assert new_event.pk not in enqueued["events"] and new_refund.pk not in enqueued["refunds"]


def test_refund_submit_task_stripe_down_schedules_retry(admin_user, client, client_user, stripe_server, monkeypatch):
    from celery.exceptions import Retry

    paid = topup_paid(client, stripe_server, client_user, "25.00")
    refund = refund_request(actor=admin_user, topup_id=paid.pk, amount="5.00", reason="asked")
    stripe_server.fail_next("POST", "/v1/refunds", status=503, times=3)
    retries = []
    monkeypatch.setattr(tasks.refund_submit_task, "retry", lambda **kw: retries.append(kw) or Retry())
    with pytest.raises(Retry):
        tasks.refund_submit_task.run(refund.pk)
    assert retries[0]["countdown"] == 10
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PENDING
    # and the retry goes through
    assert tasks.refund_submit_task.run(refund.pk) == Refund.Status.SUBMITTED


def test_stripe_tasks_are_acks_late():
    for task in (tasks.stripe_event_process_task, tasks.refund_submit_task, tasks.stripe_outbox_sweep_task):
        assert task.acks_late is True
