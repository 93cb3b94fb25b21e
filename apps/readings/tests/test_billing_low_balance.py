"""Low balance: pause before the unpaid minute, the warning, the 3-minute limit, resuming when a (late)
top-up lands, and the spending limit."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.readings.enums import EndReason, SessionState
from apps.readings.selectors import session_room_state
from apps.readings.services import session_bill_tick
from apps.readings.tests.helpers import both_present, credit, hold_balance, start_reading, wallet_balance
from apps.wallet.services.webhooks import stripe_events_process_received
from apps.wallet.tests.conftest import stripe_server  # noqa: F401 (fixture)
from apps.wallet.tests.stripe_flows import deliver, topup_checkout

pytestmark = pytest.mark.django_db
S = SessionState


def test_session_bill_tick_next_minute_unaffordable_pauses_before_it_starts():
    # given: exactly one minute of funds
    t0 = timezone.now()
    session, client, reader = start_reading(funds=Decimal("2.00"), at=t0)
    # when: both present past the first minute
    both_present(session, client, reader, start=t0, until=70)
    # then: paused with exactly the paid minute as active time
    session.refresh_from_db()
    assert session.state == S.PAUSED
    assert session.active_seconds == Decimal("60")
    assert session.minutes_billed == 1
    assert wallet_balance(client) == Decimal("0.00")
    assert session.pause_count == 1


def test_session_room_state_two_minutes_of_funds_left_warns_the_client_only():
    # given: after minute 1, the wallet holds 2 minutes; another reading with plenty
    t0 = timezone.now()
    low, low_client, low_reader = start_reading(funds=Decimal("6.00"), at=t0)
    rich, rich_client, _ = start_reading(funds=Decimal("20.00"), at=t0)
    # when
    client_view = session_room_state(viewer=low_client, session_id=low.pk, now=t0)
    reader_view = session_room_state(viewer=low_reader, session_id=low.pk, now=t0)
    rich_view = session_room_state(viewer=rich_client, session_id=rich.pk, now=t0)
    # then
    assert (client_view.funds_minutes_left, client_view.low_balance_warning) == (2, True)
    assert reader_view.wallet_balance is None and reader_view.low_balance_warning is False
    assert (rich_view.funds_minutes_left, rich_view.low_balance_warning) == (9, False)


def test_session_bill_tick_paused_three_minutes_ends_and_settles():
    # given
    t0 = timezone.now()
    session, client, reader = start_reading(funds=Decimal("2.00"), at=t0)
    both_present(session, client, reader, start=t0, until=70)
    session.refresh_from_db()
    paused_at = session.pause_started_at
    # when
    session_bill_tick(now=paused_at + timedelta(seconds=179))
    session.refresh_from_db()
    assert session.state == S.PAUSED
    session_bill_tick(now=paused_at + timedelta(seconds=180))
    # then
    session.refresh_from_db()
    assert session.state == S.FINALIZED
    assert session.end_reason == EndReason.LOW_BALANCE_TIMEOUT
    assert hold_balance(session) == Decimal("0.00")
    assert session.reader_share_amount + session.platform_share_amount == Decimal("2.00")
    call_command("ledger_check")


def test_session_bill_tick_late_top_up_webhook_keeps_paused_then_resumes_when_credited(client, stripe_server):  # noqa: F811
    # given: paused for lack of funds; the client pays on Stripe Checkout, but the webhook is late
    t0 = timezone.now() - timedelta(seconds=80)
    session, reading_client, reader = start_reading(funds=Decimal("2.00"), at=t0)
    both_present(session, reading_client, reader, start=t0, until=70)
    topup = topup_checkout(reading_client, "10.00")
    paid = stripe_server.session_pay(topup.stripe_checkout_session_id)
    # when: ticks run before the webhook arrives
    session_bill_tick(now=t0 + timedelta(seconds=75))
    session.refresh_from_db()
    assert session.state == S.PAUSED
    assert wallet_balance(reading_client) == Decimal("0.00")
    # ... then the signed webhook lands and is processed
    response = deliver(client, stripe_server, "checkout.session.completed", paid)
    assert response.status_code == 200
    stripe_events_process_received()
    assert wallet_balance(reading_client) == Decimal("10.00")
    now = timezone.now()
    session_bill_tick(now=now)
    # then: resumed with the same minute count; the next minute is charged when both are seen in it
    session.refresh_from_db()
    assert session.state == S.ACTIVE
    assert session.minutes_billed == 1
    both_present(session, reading_client, reader, start=now, until=10)
    session.refresh_from_db()
    assert session.minutes_billed == 2
    assert wallet_balance(reading_client) == Decimal("8.00")
    call_command("ledger_check")


def test_session_bill_tick_spending_cap_reached_ends_gracefully():
    # given: a limit of two minutes, funds for ten
    t0 = timezone.now()
    session, client, reader = start_reading(funds=Decimal("20.00"), at=t0, cap=Decimal("4.00"))
    # when
    both_present(session, client, reader, start=t0, until=130)
    # then
    session.refresh_from_db()
    assert session.state == S.FINALIZED
    assert session.end_reason == EndReason.SPENDING_CAP
    assert session.minutes_billed == 2
    assert session.active_seconds == Decimal("120")
    assert wallet_balance(client) == Decimal("16.00")
    call_command("ledger_check")


def test_session_bill_tick_top_up_while_active_keeps_billing_without_pause():
    # given
    t0 = timezone.now()
    session, client, reader = start_reading(funds=Decimal("2.00"), at=t0)
    both_present(session, client, reader, start=t0, until=50)
    # when
    credit(client, Decimal("4.00"))
    both_present(session, client, reader, start=t0 + timedelta(seconds=50), until=80)
    # then
    session.refresh_from_db()
    assert session.state == S.ACTIVE
    assert session.pause_count == 0
    assert session.minutes_billed == 3
