"""Stripe's webhook endpoint and event processing: signatures exactly as Stripe signs them, storage once per
event id, the processing state machine, and exactly one credit whatever the order of delivery."""

import json
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from apps.core.models import OutboxMessage, OutboxStatus
from apps.core.outbox import outbox_backoff, outbox_drain
from apps.wallet.models import StripeEvent, TopUp, Transaction
from apps.wallet.selectors import wallet_balance
from apps.wallet.services.topups import TopUpMismatch
from apps.wallet.services.webhooks import stripe_event_process, stripe_events_process_received

from .stripe_flows import deliver, topup_checkout
from .stripe_server import WEBHOOK_SECRET, sign, webhook_post

pytestmark = pytest.mark.django_db

WEBHOOK_URL = "/wallet/stripe/webhook/"


def test_webhook_url_is_the_documented_path():
    assert reverse("wallet:stripe_webhook") == WEBHOOK_URL


def test_stripe_webhook_valid_signature_stores_event_and_enqueues_on_commit(
    client, client_user, stripe_server, django_capture_on_commit_callbacks
):
    # given a paid session
    topup = topup_checkout(client_user)
    session = stripe_server.session_pay(topup.stripe_checkout_session_id)
    # when Stripe delivers checkout.session.completed
    with django_capture_on_commit_callbacks() as callbacks:
        response = deliver(client, stripe_server, "checkout.session.completed", session)
    # then it is stored, received, and its processing is enqueued after commit; nothing is credited yet
    assert response.status_code == 200 and response.json() == {"received": True, "duplicate": False}
    event = StripeEvent.objects.get()
    assert event.stripe_event_id == response.event["id"] and event.type == "checkout.session.completed"
    assert event.status == StripeEvent.Status.RECEIVED and event.attempts == 0
    assert event.payload["data"]["object"]["id"] == session["id"]
    assert len(callbacks) == 1
    assert not Transaction.objects.exists()


@pytest.mark.parametrize(
    "case",
    ["wrong_secret", "stale", "future", "no_header", "tampered_body", "garbage_header"],
)
def test_stripe_webhook_bad_signature_400_nothing_stored(client, client_user, stripe_server, case):
    # given a real paid session and its event
    topup = topup_checkout(client_user)
    session = stripe_server.session_pay(topup.stripe_checkout_session_id)
    payload = json.dumps(stripe_server.event("checkout.session.completed", session))
    # (margins of a few seconds beyond 300 s, so a slow test run cannot drift across the limit)
    now = int(time.time())
    headers = {
        "wrong_secret": sign(payload, secret="whsec_not_ours_0123456789"),
        "stale": sign(payload, timestamp=now - 301),
        "future": sign(payload, timestamp=now + 310),
        "no_header": None,
        "tampered_body": sign(payload),
        "garbage_header": "t=abc,v1=zzz",
    }
    # (the tampered body keeps the signature of the original one)
    body = payload.replace('"amount_total": 2500', '"amount_total": 250000') if case == "tampered_body" else payload
    assert case != "tampered_body" or body != payload
    extra = {"HTTP_STRIPE_SIGNATURE": headers[case]} if headers[case] else {}
    # when
    response = client.post(WEBHOOK_URL, data=body, content_type="application/json", **extra)
    # then
    assert response.status_code == 400
    assert not StripeEvent.objects.exists()
    assert not Transaction.objects.exists()


def test_stripe_webhook_timestamp_within_tolerance_accepted(client, client_user, stripe_server):
    topup = topup_checkout(client_user)
    session = stripe_server.session_pay(topup.stripe_checkout_session_id)
    past = deliver(client, stripe_server, "checkout.session.completed", session, timestamp=int(time.time()) - 290)
    future = deliver(client, stripe_server, "checkout.session.completed", session, timestamp=int(time.time()) + 290)
    assert past.status_code == 200 and future.status_code == 200
    assert StripeEvent.objects.count() == 2


def test_stripe_webhook_malformed_json_with_valid_signature_400_nothing_stored(client, stripe_server):
    # given a body that is not JSON, signed with the right secret
    body = '{"id": "evt_1", "object": "event", '
    # when
    response = client.post(WEBHOOK_URL, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(body))
    # then
    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


def test_stripe_webhook_json_not_an_event_400_nothing_stored(client, stripe_server):
    body = json.dumps({"id": "cs_test_1", "object": "checkout.session"})
    response = client.post(WEBHOOK_URL, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(body))
    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


def test_stripe_webhook_without_stripe_configuration_503_nothing_stored(client, settings):
    # given no Stripe keys: even a correctly signed event is refused
    body = json.dumps({"id": "evt_1", "object": "event", "type": "checkout.session.completed", "data": {}})
    response = client.post(
        WEBHOOK_URL, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(body, secret=WEBHOOK_SECRET)
    )
    assert response.status_code == 503
    assert not StripeEvent.objects.exists()


def test_stripe_webhook_get_not_allowed(client, stripe_server):
    assert client.get(WEBHOOK_URL).status_code == 405


def test_stripe_webhook_duplicate_delivery_200_stored_once_not_reprocessed(client, client_user, stripe_server):
    # given an event delivered and processed
    topup = topup_checkout(client_user)
    session = stripe_server.session_pay(topup.stripe_checkout_session_id)
    event = stripe_server.event("checkout.session.completed", session)
    webhook_post(client, event)
    stripe_events_process_received()
    processed = StripeEvent.objects.get()
    # when Stripe delivers it again (a retry), and again with a fresh signature
    again = webhook_post(client, event)
    third = webhook_post(client, event, timestamp=int(time.time()) - 10)
    # then
    assert again.status_code == 200 and again.json()["duplicate"] is True and third.status_code == 200
    stored = StripeEvent.objects.get()
    assert stored.status == StripeEvent.Status.DONE and stored.attempts == 1 == processed.attempts
    assert stripe_events_process_received() == 0
    assert Transaction.objects.count() == 1
    assert wallet_balance(user=client_user) == Decimal("25.00")


def test_stripe_event_process_moves_received_processing_done(client, client_user, stripe_server):
    topup = topup_checkout(client_user)
    session = stripe_server.session_pay(topup.stripe_checkout_session_id)
    deliver(client, stripe_server, "checkout.session.completed", session)
    event = StripeEvent.objects.get()
    # when its outbox message runs (as a worker would run it)
    assert outbox_drain() == 1
    # then
    event.refresh_from_db()
    assert event.status == StripeEvent.Status.DONE and event.attempts == 1 and event.processed_at is not None
    # and running it again (a redelivered message) does nothing
    assert stripe_event_process(event_pk=event.pk) is None
    assert Transaction.objects.filter(kind="top_up").count() == 1


def test_stripe_event_process_claimed_by_other_worker_skipped(client, client_user, stripe_server):
    topup = topup_checkout(client_user)
    session = stripe_server.session_pay(topup.stripe_checkout_session_id)
    deliver(client, stripe_server, "checkout.session.completed", session)
    event = StripeEvent.objects.get()
    StripeEvent.objects.filter(pk=event.pk).update(status=StripeEvent.Status.PROCESSING)
    # when
    result = stripe_event_process(event_pk=event.pk)
    # then
    assert result is None and not Transaction.objects.exists()


def test_stripe_event_process_failure_marks_failed_with_error_then_retry_succeeds(client, client_user, stripe_server):
    # given an event for a session whose amount does not match the top-up
    topup = topup_checkout(client_user)
    session = stripe_server.session_pay(topup.stripe_checkout_session_id)
    forged = {**session, "amount_total": 1}
    deliver(client, stripe_server, "checkout.session.completed", forged)
    event = StripeEvent.objects.get()
    # when it is processed
    with pytest.raises(TopUpMismatch):
        stripe_event_process(event_pk=event.pk)
    # then it is failed with the error, nothing credited
    event.refresh_from_db()
    assert event.status == StripeEvent.Status.FAILED and event.attempts == 1
    assert event.error["type"] == "TopUpMismatch" and "does not match" in event.error["message"]
    assert not Transaction.objects.exists()
    # and the real event, when it comes, credits once
    deliver(client, stripe_server, "checkout.session.completed", session)
    stripe_events_process_received()
    assert wallet_balance(user=client_user) == Decimal("25.00")


def test_stripe_event_process_message_failure_retried_with_outbox_backoff(client, client_user, stripe_server):
    # given an event that fails to process
    topup = topup_checkout(client_user)
    session = stripe_server.session_pay(topup.stripe_checkout_session_id)
    deliver(client, stripe_server, "checkout.session.completed", {**session, "amount_total": 1})
    event = StripeEvent.objects.get()
    start = timezone.now()
    # when its outbox message runs
    assert outbox_drain(now=start) == 1
    # then the message waits for the outbox's backoff, and the event is failed (claimable by the retry)
    message = OutboxMessage.objects.get(name="wallet.stripe_event_process")
    assert message.status == OutboxStatus.PENDING and message.attempts == 1
    assert message.next_attempt_at == start + outbox_backoff(1) and "TopUpMismatch" in message.last_error
    event.refresh_from_db()
    assert event.status == StripeEvent.Status.FAILED
    assert outbox_drain(now=start + outbox_backoff(1) - timedelta(seconds=1)) == 0


def test_stripe_webhook_async_succeeded_before_completed_credits_once(client, client_user, stripe_server):
    # given a delayed payment method: completed is unpaid, async_payment_succeeded is paid
    topup = topup_checkout(client_user, "60.00")
    unpaid = {**stripe_server.public(stripe_server.sessions[topup.stripe_checkout_session_id]), "status": "complete"}
    paid = stripe_server.session_pay(topup.stripe_checkout_session_id)
    # when they arrive out of order
    deliver(client, stripe_server, "checkout.session.async_payment_succeeded", paid)
    stripe_events_process_received()
    deliver(client, stripe_server, "checkout.session.completed", unpaid)
    stripe_events_process_received()
    # then one credit, and the late unpaid event does not pull the top-up back to processing
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.PAID
    assert Transaction.objects.filter(kind="top_up").count() == 1
    assert wallet_balance(user=client_user) == Decimal("60.00")
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {"done"}


def test_stripe_webhook_completed_unpaid_then_async_succeeded_credits_once(client, client_user, stripe_server):
    topup = topup_checkout(client_user, "60.00")
    unpaid = {**stripe_server.public(stripe_server.sessions[topup.stripe_checkout_session_id]), "status": "complete"}
    # when completed arrives unpaid
    deliver(client, stripe_server, "checkout.session.completed", unpaid)
    stripe_events_process_received()
    topup.refresh_from_db()
    # then the top-up is processing and nothing is credited
    assert topup.status == TopUp.Status.PROCESSING and not Transaction.objects.exists()
    # when the payment succeeds
    paid = stripe_server.session_pay(topup.stripe_checkout_session_id)
    deliver(client, stripe_server, "checkout.session.async_payment_succeeded", paid)
    deliver(client, stripe_server, "checkout.session.async_payment_succeeded", paid)
    stripe_events_process_received()
    # then
    assert Transaction.objects.filter(kind="top_up").count() == 1
    assert wallet_balance(user=client_user) == Decimal("60.00")


def test_stripe_webhook_payment_intent_succeeded_never_credits(client, client_user, stripe_server):
    topup = topup_checkout(client_user)
    stripe_server.session_pay(topup.stripe_checkout_session_id)
    intent = {**stripe_server.sessions[topup.stripe_checkout_session_id], "object": "payment_intent"}
    intent = stripe_server.public(intent) | {"id": topup.stripe_payment_intent_id, "status": "succeeded"}
    deliver(client, stripe_server, "payment_intent.succeeded", intent)
    stripe_events_process_received()
    assert StripeEvent.objects.get().status == StripeEvent.Status.DONE
    assert not Transaction.objects.exists()
    assert wallet_balance(user=client_user) == Decimal("0.00")


def test_stripe_webhook_async_payment_failed_closes_topup(client, client_user, stripe_server):
    topup = topup_checkout(client_user)
    session = {**stripe_server.public(stripe_server.sessions[topup.stripe_checkout_session_id]), "status": "complete"}
    deliver(client, stripe_server, "checkout.session.async_payment_failed", session)
    stripe_events_process_received()
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.FAILED and not Transaction.objects.exists()


def test_stripe_webhook_expired_after_paid_keeps_paid(client, client_user, stripe_server):
    topup = topup_checkout(client_user)
    paid = stripe_server.session_pay(topup.stripe_checkout_session_id)
    deliver(client, stripe_server, "checkout.session.completed", paid)
    deliver(client, stripe_server, "checkout.session.expired", {**paid, "status": "expired"})
    stripe_events_process_received()
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.PAID and wallet_balance(user=client_user) == Decimal("25.00")


def test_replay_stripe_events_refetches_and_processes_missed_events_once(client, client_user, stripe_server):
    # given two paid top-ups whose webhooks never reached us, and one that did
    missed = [topup_checkout(client_user, "10.00"), topup_checkout(client_user, "15.00")]
    for topup in missed:
        stripe_server.event("checkout.session.completed", stripe_server.session_pay(topup.stripe_checkout_session_id))
    seen = topup_checkout(client_user, "20.00")
    seen_session = stripe_server.session_pay(seen.stripe_checkout_session_id)
    deliver(client, stripe_server, "checkout.session.completed", seen_session)
    stripe_events_process_received()
    # when events are replayed for today, twice
    today = time.strftime("%Y-%m-%d", time.gmtime())
    call_command("replay_stripe_events", "--since", today, "--now")
    call_command("replay_stripe_events", "--since", today, "--now")
    # then the Events API was read through the SDK, each event is stored once, each top-up credited once
    listing = stripe_server.requests_to("GET", "/v1/events")
    assert listing and listing[0].params["created"]["gte"].isdigit() and listing[0].params["limit"] == "100"
    assert StripeEvent.objects.count() == 3
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {"done"}
    assert Transaction.objects.filter(kind="top_up").count() == 3
    assert wallet_balance(user=client_user) == Decimal("45.00")
    call_command("ledger_check")


def test_replay_stripe_events_paginates_through_the_events_api(client_user, stripe_server):
    # given more events than one page holds
    topups = [topup_checkout(client_user, "5.00") for _ in range(3)]
    for topup in topups:
        stripe_server.event("checkout.session.completed", stripe_server.session_pay(topup.stripe_checkout_session_id))
    from apps.wallet import stripe_gateway

    # when listing with a page size of 2 (the SDK follows has_more with starting_after)
    page = stripe_gateway._client().v1.events.list(params={"limit": 2})
    ids = [e.id for e in page.auto_paging_iter()]
    # then
    assert len(ids) == 3
    assert any("starting_after" in r.params for r in stripe_server.requests_to("GET", "/v1/events"))
