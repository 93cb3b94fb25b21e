"""Admins are alerted (in-app, and by email through the outbox) when money needs a person: a ledger check
violation, a reconciliation mismatch, a dispute opened, a Stripe event failing for the tenth time."""

from datetime import date
from decimal import Decimal

import pytest

from apps.accounts.tests.factories import AdminFactory
from apps.core.models import OutboxMessage
from apps.notifications.models import Notification
from apps.wallet.models import Account, StripeEvent
from apps.wallet.services import webhooks
from apps.wallet.services.ledger_check import ledger_check_run
from apps.wallet.services.reconciliation import reconcile_stripe
from apps.wallet.services.webhooks import stripe_event_process, stripe_event_record, stripe_events_process_received
from tests.support.money import top_up

from .stripe_flows import deliver, topup_paid
from .test_disputes import dispute_of

pytestmark = pytest.mark.django_db


def _alerts(kind: str) -> list[Notification]:
    return list(Notification.objects.filter(kind=kind).order_by("pk"))


def test_ledger_check_violation_alerts_every_admin_by_email(client_user):
    # given two admins and a wallet whose cached balance disagrees with its postings
    admins = [AdminFactory(), AdminFactory()]
    top_up(client_user, "10.00")
    Account.objects.filter(code=f"wallet:{client_user.pk}").update(balance=Decimal("99.00"))
    # when the check runs
    run = ledger_check_run()
    # then each admin is told, in-app and by email
    assert not run.is_ok
    alerts = _alerts("account.alert_ledger_check")
    assert sorted(a.user_id for a in alerts) == sorted(a.pk for a in admins)
    assert "cached_balances" in alerts[0].body or "cached" in alerts[0].body
    assert all(a.email_requested for a in alerts)
    assert OutboxMessage.objects.filter(name="notifications.email").count() == 2


def test_clean_ledger_check_alerts_nobody(client_user):
    AdminFactory()
    top_up(client_user, "10.00")
    assert ledger_check_run().is_ok
    assert _alerts("account.alert_ledger_check") == []


def test_reconciliation_mismatch_alerts_admins(stripe_server, client_user):
    # given a top-up in the ledger that Stripe never saw
    admin = AdminFactory()
    top_up(client_user, "12.00", stripe_payment_intent_id="pi_test_not_at_stripe")
    # when reconciliation runs
    run = reconcile_stripe(since=date.today())
    # then the admins hear of the difference
    assert not run.is_clean
    (alert,) = _alerts("account.alert_reconciliation")
    assert alert.user == admin and "1 difference(s) with Stripe" in alert.body


def test_clean_reconciliation_alerts_nobody(client, stripe_server, client_user):
    AdminFactory()
    topup_paid(client, stripe_server, client_user, "20.00")
    assert reconcile_stripe(since=date.today()).is_clean
    assert _alerts("account.alert_reconciliation") == []


def test_dispute_opened_alerts_admins_once(client, stripe_server, client_user):
    admin = AdminFactory()
    paid = topup_paid(client, stripe_server, client_user, "50.00")
    # when Stripe reports the dispute, then updates it
    deliver(client, stripe_server, "charge.dispute.created", dispute_of(stripe_server, paid))
    deliver(client, stripe_server, "charge.dispute.updated", dispute_of(stripe_server, paid, status="under_review"))
    stripe_events_process_received()
    # then one alert per admin
    (alert,) = _alerts("account.alert_dispute_opened")
    assert alert.user == admin and "$50.00" in alert.title and "fraudulent" in alert.body


def test_stripe_event_failing_ten_times_alerts_admins_once(monkeypatch, settings):
    # given an event whose handler keeps failing
    admin = AdminFactory()

    def broken(obj, event_id):
        raise RuntimeError("handler bug")

    monkeypatch.setitem(webhooks.HANDLERS, "charge.dispute.closed", broken)
    event, _ = stripe_event_record(
        payload={"id": "evt_test_failing", "object": "event", "type": "charge.dispute.closed", "data": {"object": {}}}
    )
    # when it is processed nine times, then a tenth, then an eleventh
    for _ in range(9):
        with pytest.raises(RuntimeError):
            stripe_event_process(event_pk=event.pk)
    assert _alerts("account.alert_stripe_event_failing") == []
    for _ in range(2):
        with pytest.raises(RuntimeError):
            stripe_event_process(event_pk=event.pk)
    # then exactly one alert, after the tenth failure
    (alert,) = _alerts("account.alert_stripe_event_failing")
    assert alert.user == admin and "failed 10 times" in alert.title and "handler bug" in alert.body
    assert StripeEvent.objects.get(pk=event.pk).status == StripeEvent.Status.FAILED
