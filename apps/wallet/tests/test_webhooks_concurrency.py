"""Concurrency on PostgreSQL: identical webhooks, two crediting events, and the success page racing the
webhook, each from its own thread and connection, credit exactly once. Each test ends with ledger_check."""

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from apps.wallet.models import StripeEvent, TopUp, Transaction
from apps.wallet.selectors import wallet_balance
from apps.wallet.services.topups import topup_credit, topup_refresh
from apps.wallet.services.webhooks import stripe_event_process

from .stripe_flows import topup_checkout
from .stripe_server import webhook_post

pytestmark = pytest.mark.django_db(transaction=True)


def run_at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run each call in its own thread (own database connection), released together by a barrier."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def worker(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as exc:  # surfaced to the test below
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_stripe_webhook_identical_deliveries_at_once_stored_once_credit_once(client_user, stripe_server):
    # given a paid session and its checkout.session.completed event
    topup = topup_checkout(client_user, "30.00")
    session = stripe_server.session_pay(topup.stripe_checkout_session_id)
    event = stripe_server.event("checkout.session.completed", session)
    # when 8 identical deliveries arrive at the same instant on 8 connections
    responses = run_at_once(*[lambda: webhook_post(Client(), event) for _ in range(8)])
    # then every delivery is acknowledged, the event is stored once
    assert [r.status_code for r in responses] == [200] * 8
    assert sum(1 for r in responses if r.json()["duplicate"] is False) == 1
    stored = StripeEvent.objects.get()
    # and processing it from 8 workers at once credits once
    results = run_at_once(*[lambda: stripe_event_process(event_pk=stored.pk) for _ in range(8)])
    assert not [r for r in results if isinstance(r, Exception)]
    assert sum(1 for r in results if r is not None) == 1
    assert Transaction.objects.filter(kind="top_up").count() == 1
    assert wallet_balance(user=client_user) == Decimal("30.00")
    call_command("ledger_check")


def test_stripe_event_process_two_crediting_events_at_once_credit_once(client, client_user, stripe_server):
    # given completed (paid) and async_payment_succeeded for the same session, both stored
    topup = topup_checkout(client_user, "30.00")
    session = stripe_server.session_pay(topup.stripe_checkout_session_id)
    for event_type in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
        assert webhook_post(client, stripe_server.event(event_type, session)).status_code == 200
    first, second = StripeEvent.objects.order_by("pk")
    # when both are processed at the same instant
    results = run_at_once(
        lambda: stripe_event_process(event_pk=first.pk), lambda: stripe_event_process(event_pk=second.pk)
    )
    # then both are done and the wallet is credited once
    assert not [r for r in results if isinstance(r, Exception)]
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {"done"}
    assert Transaction.objects.filter(kind="top_up").count() == 1
    assert wallet_balance(user=client_user) == Decimal("30.00")
    call_command("ledger_check")


def test_topup_credit_webhook_and_success_page_at_once_credit_once(client, client_user, stripe_server):
    # given a paid session, its webhook stored, and the client coming back to the success page
    topup = topup_checkout(client_user, "75.00")
    session = stripe_server.session_pay(topup.stripe_checkout_session_id)
    webhook_post(client, stripe_server.event("checkout.session.completed", session))
    event = StripeEvent.objects.get()
    page_client = Client()
    page_client.force_login(client_user)
    # when the worker and the success page run at the same instant (several times over)
    results = run_at_once(
        lambda: stripe_event_process(event_pk=event.pk),
        lambda: page_client.get("/wallet/topup/success/", {"session_id": session["id"]}),
        lambda: topup_refresh(topup=TopUp.objects.get(pk=topup.pk)),
        lambda: topup_credit(session=session, source="test"),
    )
    # then
    assert not [r for r in results if isinstance(r, Exception)], results
    assert results[1].status_code == 200 and b"Payment received" in results[1].content
    assert Transaction.objects.filter(kind="top_up").count() == 1
    assert wallet_balance(user=client_user) == Decimal("75.00")
    assert TopUp.objects.get(pk=topup.pk).status == TopUp.Status.PAID
    call_command("ledger_check")


@pytest.mark.concurrency
def test_outbox_workers_racing_over_events_and_refunds_each_effect_once(client, admin_user, client_user, stripe_server):
    # given three paid top-ups whose events wait in the outbox (delivered twice each), and two refunds asked for
    from apps.core.models import OutboxMessage, OutboxStatus
    from apps.core.outbox import outbox_drain
    from apps.wallet.models import Refund
    from apps.wallet.services.refunds import refund_request

    topups = [topup_checkout(client_user, "30.00") for _ in range(3)]
    for topup in topups:
        event = stripe_server.event(
            "checkout.session.completed", stripe_server.session_pay(topup.stripe_checkout_session_id)
        )
        assert webhook_post(client, event).status_code == 200
        assert webhook_post(client, event).status_code == 200
    assert OutboxMessage.objects.filter(name="wallet.stripe_event_process").count() == 3
    # when four workers sweep the outbox at the same instant, each on its own connection
    results = run_at_once(*[outbox_drain for _ in range(4)])
    # then every top-up is credited once
    assert not [r for r in results if isinstance(r, Exception)] and sum(results) == 3
    assert Transaction.objects.filter(kind="top_up").count() == 3
    assert wallet_balance(user=client_user) == Decimal("90.00")
    # when two refunds are asked for and four workers sweep at once again
    refunds = [refund_request(actor=admin_user, topup_id=topups[n].pk, amount="10.00", reason="asked") for n in (0, 1)]
    results = run_at_once(*[outbox_drain for _ in range(4)])
    # then Stripe was asked once per refund, and everything is done
    assert not [r for r in results if isinstance(r, Exception)] and sum(results) == 2
    assert len(stripe_server.requests_to("POST", "/v1/refunds")) == 2 and len(stripe_server.refunds) == 2
    assert {r.status for r in Refund.objects.filter(pk__in=[r.pk for r in refunds])} == {Refund.Status.SUBMITTED}
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxStatus.DONE}
    assert wallet_balance(user=client_user) == Decimal("70.00")
    call_command("ledger_check")
