"""Lifecycle of a reading: request, accept, decline, end, timeouts, settlement."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.sessions.enums import EndReason, SessionState
from apps.sessions.exceptions import SessionNotFound, SessionRefused
from apps.sessions.models import ReadingSession
from apps.sessions.services import (
    session_accept,
    session_bill_tick,
    session_decline,
    session_end,
    session_finalize,
    session_heartbeat,
    session_request,
)
from apps.sessions.tests.helpers import (
    credit,
    hold_balance,
    ledger_minutes,
    make_reader,
    wallet_balance,
)

pytestmark = pytest.mark.django_db


def test_session_request_without_a_minute_of_funds_is_refused(client_user):
    # given
    reader = make_reader(rate=Decimal("2.00"))
    credit(client_user, Decimal("1.99"))
    # when / then
    with pytest.raises(SessionRefused, match="at least one minute"):
        session_request(client=client_user, reader=reader, modality="text")
    assert not ReadingSession.objects.exists()


def test_session_accept_charges_minute_one_into_the_hold(client_user):
    # given
    reader = make_reader(rate=Decimal("2.00"))
    credit(client_user, Decimal("10.00"))
    session = session_request(client=client_user, reader=reader, modality="text")
    # when
    session = session_accept(reader=reader, session_id=session.pk)
    # then
    assert session.state == SessionState.ACTIVE
    assert session.minutes_billed == 1
    assert wallet_balance(client_user) == Decimal("8.00")
    assert hold_balance(session) == Decimal("2.00")
    assert ledger_minutes(session) == [f"session:{session.pk}:minute:1"]


def test_session_full_reading_bills_started_minutes_and_settles(client_user):
    # given
    t0 = timezone.now()
    reader = make_reader(rate=Decimal("2.00"))
    credit(client_user, Decimal("10.00"))
    session = session_request(client=client_user, reader=reader, modality="text", now=t0)
    session_accept(reader=reader, session_id=session.pk, now=t0)
    # when: both sides present for 130 s, with ticks every 10 s
    for second in range(10, 131, 10):
        at = t0 + timedelta(seconds=second)
        session_heartbeat(user=client_user, session_id=session.pk, at=at, now=at)
        session_heartbeat(user=reader, session_id=session.pk, at=at, now=at)
        session_bill_tick(now=at)
    session_end(actor=client_user, session_id=session.pk, reason="", now=t0 + timedelta(seconds=131))
    session = session_finalize(session_id=session.pk, now=t0 + timedelta(seconds=132))
    # then: 130 s of active time = 3 started minutes
    assert session.state == SessionState.FINALIZED
    assert session.active_seconds == Decimal("130")
    assert session.minutes_billed == 3
    assert wallet_balance(client_user) == Decimal("4.00")
    assert hold_balance(session) == Decimal("0.00")
    assert session.reader_share_amount == Decimal("4.20")
    assert session.platform_share_amount == Decimal("1.80")
    call_command("ledger_check")


def test_session_decline_ends_unbilled(client_user):
    # given
    reader = make_reader()
    credit(client_user, Decimal("10.00"))
    session = session_request(client=client_user, reader=reader, modality="text")
    # when
    session = session_decline(reader=reader, session_id=session.pk)
    # then
    assert session.state == SessionState.ENDED
    assert session.end_reason == EndReason.DECLINED
    assert wallet_balance(client_user) == Decimal("10.00")


def test_session_request_not_answered_in_60_seconds_ends_unbilled(client_user):
    # given
    t0 = timezone.now()
    reader = make_reader()
    credit(client_user, Decimal("10.00"))
    session = session_request(client=client_user, reader=reader, modality="text", now=t0)
    # when
    session_bill_tick(now=t0 + timedelta(seconds=61))
    # then
    session.refresh_from_db()
    assert session.state == SessionState.FINALIZED
    assert session.end_reason == EndReason.REQUEST_TIMEOUT
    assert session.minutes_billed == 0
    assert wallet_balance(client_user) == Decimal("10.00")


def test_session_heartbeat_by_someone_else_is_not_found(client_user, other_client_user):
    # given
    reader = make_reader()
    credit(client_user, Decimal("10.00"))
    session = session_request(client=client_user, reader=reader, modality="text")
    # when / then
    with pytest.raises(SessionNotFound):
        session_heartbeat(user=other_client_user, session_id=session.pk)
