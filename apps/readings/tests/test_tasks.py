"""Tasks of live readings: the beat entry, the tick task, settlement and presence tasks."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.readings.enums import SessionState
from apps.readings.services import session_end
from apps.readings.tasks import session_bill_tick_task, session_finalize_task
from apps.readings.tests.helpers import due_active_sessions, start_reading
from config.celery import app

pytestmark = pytest.mark.django_db


def test_beat_schedule_runs_the_tick_at_most_every_10_seconds():
    # then
    entry = app.conf.beat_schedule["readings-bill-tick"]
    assert entry["task"] == "readings.bill_tick" == session_bill_tick_task.name
    assert entry["schedule"] <= 10
    assert session_bill_tick_task.acks_late and session_finalize_task.acks_late


def test_session_bill_tick_task_bills_due_minutes():
    # given
    sessions = due_active_sessions(3)
    # when
    outcome = session_bill_tick_task.apply().get()
    # then
    assert outcome["charged"] == 3
    assert {s.minutes_billed for s in type(sessions[0]).objects.filter(pk__in=[s.pk for s in sessions])} == {2}


def test_session_end_enqueues_settlement_on_commit_and_the_task_settles(django_capture_on_commit_callbacks):
    # given
    t0 = timezone.now() - timedelta(seconds=10)
    session, client, _ = start_reading(funds=Decimal("10.00"), at=t0)
    # when
    with django_capture_on_commit_callbacks() as callbacks:
        session_end(actor=client, session_id=session.pk, reason="")
    # then: one settlement task after commit; running it settles, running it again changes nothing
    assert any(session_finalize_task.name in repr(getattr(cb, "func", cb)) for cb in callbacks)
    assert session_finalize_task.apply(args=[session.pk]).get() == SessionState.FINALIZED
    assert session_finalize_task.apply(args=[session.pk]).get() == SessionState.FINALIZED
