"""Concurrent ticks (separate connections) bill each minute once; ledger_check stays clean."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.readings.models import ReadingSession
from apps.readings.services import session_bill_tick
from apps.readings.tests.helpers import due_active_sessions, ledger_minutes, wallet_balance
from tests.support.racing import race_all_succeed

pytestmark = pytest.mark.django_db(transaction=True)


def test_session_bill_tick_two_workers_racing_bill_each_minute_once():
    # given: 40 readings whose minute 2 is due
    sessions = due_active_sessions(40)
    now = timezone.now()
    # when: two ticks over all of them, from two connections, at the same instant (small batches interleave)
    race_all_succeed(
        lambda: session_bill_tick(now=now, batch_size=3),
        lambda: session_bill_tick(now=now, batch_size=5),
    )
    # then
    for session in sessions:
        session.refresh_from_db()
        assert session.minutes_billed == 2
        assert ledger_minutes(session) == [f"session:{session.pk}:minute:{n}" for n in (1, 2)]
        assert wallet_balance(session.client) == Decimal("3.00")
    call_command("ledger_check")


def test_session_bill_tick_batch_and_single_reading_racing_bill_the_minute_once():
    # given
    sessions = due_active_sessions(10)
    now = timezone.now()
    # when: the batch tick and per-reading ticks on the same readings at once
    race_all_succeed(
        lambda: session_bill_tick(now=now),
        *[lambda pk=session.pk: session_bill_tick(session_id=pk, now=now) for session in sessions[:4]],
    )
    # then
    assert sorted(ReadingSession.objects.values_list("minutes_billed", flat=True)) == [2] * 10
    for session in sessions:
        assert len(ledger_minutes(session)) == 2
    call_command("ledger_check")


def test_session_bill_tick_run_again_at_the_same_time_charges_nothing():
    # given
    sessions = due_active_sessions(5)
    now = timezone.now()
    session_bill_tick(now=now)
    # when
    result = session_bill_tick(now=now)
    # then
    assert result.charged == 0
    assert [len(ledger_minutes(session)) for session in sessions] == [2] * 5
    call_command("ledger_check")


def test_session_bill_tick_after_missed_ticks_charges_every_minute_due_in_small_batches():
    # given: readings whose heartbeats prove 3 more minutes than were billed (the beat was down)
    from datetime import timedelta

    from apps.readings.services import session_heartbeat

    sessions = due_active_sessions(7)
    later = timezone.now() + timedelta(seconds=125)
    for session in sessions:
        for user in (session.client, session.reader):
            session_heartbeat(user=user, session_id=session.pk, now=later)
    # when: batches smaller than the number of readings
    result = session_bill_tick(now=later, batch_size=3)
    # then: 70 + 125 = 195 s of confirmed time = 4 minutes each
    assert result.charged == 7 * 3
    assert sorted(ReadingSession.objects.values_list("minutes_billed", flat=True)) == [4] * 7
    call_command("ledger_check")
