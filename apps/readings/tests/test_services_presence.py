"""Presence: heartbeats, silence, reconnecting within the grace, disconnect loops, room signals."""

import math
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from apps.readings.enums import EndReason, SessionState
from apps.readings.models import ReadingSession
from apps.readings.services import session_bill_tick, session_disconnect, session_heartbeat
from apps.readings.services.presence import session_presence_signal_apply
from apps.readings.tests.helpers import both_present, ledger_minutes, start_reading
from apps.rtc.enums import PresenceSource
from apps.rtc.models import PresenceSignal

pytestmark = pytest.mark.django_db
S = SessionState


def _at(t0, seconds):
    return t0 + timedelta(seconds=seconds)


def test_session_bill_tick_side_silent_30s_reconnecting_with_active_time_stopped_at_last_heartbeat():
    # given: both present for 40 s, then only the reader
    t0 = timezone.now()
    session, client, reader = start_reading(funds=Decimal("20.00"), at=t0)
    both_present(session, client, reader, start=t0, until=40)
    for second in (50, 60, 70):
        session_heartbeat(user=reader, session_id=session.pk, now=_at(t0, second))
        session_bill_tick(now=_at(t0, second))
    session.refresh_from_db()
    assert session.state == S.ACTIVE  # 30 s of silence not reached yet
    # when
    session_bill_tick(now=_at(t0, 71))
    # then: minute 2 was never charged: the client was last seen at 40 s
    session.refresh_from_db()
    assert session.state == S.RECONNECTING
    assert session.active_seconds == Decimal("40")
    assert session.minutes_billed == 1
    assert session.reconnect_count == 1


def test_session_heartbeat_back_within_grace_resumes_the_same_minute_count():
    # given: reconnecting after 40 active seconds
    t0 = timezone.now()
    session, client, reader = start_reading(funds=Decimal("20.00"), at=t0)
    both_present(session, client, reader, start=t0, until=40)
    session_disconnect(user=client, session_id=session.pk, now=_at(t0, 45))
    session_heartbeat(user=reader, session_id=session.pk, now=_at(t0, 80))
    session.refresh_from_db()
    assert session.state == S.RECONNECTING  # the reader alone does not resume it
    # when: the client is back at 100 s
    state = session_heartbeat(user=client, session_id=session.pk, now=_at(t0, 100))
    # then: still minute 1 (20 s of it left), which runs until 120 s
    assert state == S.ACTIVE
    session.refresh_from_db()
    assert session.minutes_billed == 1
    assert session.billed_until_at == _at(t0, 120)
    assert session.grace_used_seconds == Decimal("55")
    both_present(session, client, reader, start=_at(t0, 100), until=30)
    session.refresh_from_db()
    assert session.minutes_billed == 2  # 40 + 30 = 70 active seconds


def test_session_disconnect_rapid_loops_leave_no_unbilled_active_time_and_the_sixth_ends_it():
    # given
    t0 = timezone.now()
    session, client, reader = start_reading(rate=Decimal("1.00"), funds=Decimal("20.00"), at=t0)
    clock = t0
    # when: present 25 s, drop, back 3 s later: six times
    for _ in range(6):
        both_present(session, client, reader, start=clock, until=25, every=5)
        clock = _at(clock, 25)
        session_disconnect(user=client, session_id=session.pk, now=_at(clock, 1))
        session.refresh_from_db()
        billed_seconds = session.minutes_billed * 60
        assert session.active_seconds <= billed_seconds
        assert session.minutes_billed == max(1, math.ceil(session.active_seconds / 60))
        clock = _at(clock, 3)
        session_heartbeat(user=client, session_id=session.pk, now=clock)
    # then: five reconnects were allowed, the sixth drop ended it; 150 active seconds = 3 minutes
    session.refresh_from_db()
    assert session.state == S.ENDED
    assert session.end_reason == EndReason.TOO_MANY_RECONNECTS
    assert session.reconnect_count == 5
    assert session.active_seconds == Decimal("150")
    assert session.minutes_billed == 3
    assert len(ledger_minutes(session)) == 3
    session_bill_tick(now=_at(clock, 1))
    call_command("ledger_check")


def test_session_bill_tick_grace_exhausted_ends_the_reading():
    # given
    t0 = timezone.now()
    session, _client, reader = start_reading(funds=Decimal("20.00"), at=t0)
    session_disconnect(user=reader, session_id=session.pk, now=_at(t0, 5))
    # when: nobody comes back for five minutes
    session_bill_tick(now=_at(t0, 5 + 299))
    assert ReadingSession.objects.get(pk=session.pk).state == S.RECONNECTING
    session_bill_tick(now=_at(t0, 5 + 300))
    # then
    session.refresh_from_db()
    assert session.state == S.FINALIZED
    assert session.end_reason == EndReason.GRACE_EXHAUSTED
    assert session.minutes_billed == 1
    call_command("ledger_check")


def test_session_presence_signal_apply_leave_then_join_reconnects_and_resumes():
    # given
    t0 = timezone.now() - timedelta(seconds=30)
    session, client, reader = start_reading(funds=Decimal("20.00"), at=t0)

    def signal(user, present, at):
        return PresenceSignal.objects.create(
            use="session",
            object_id=str(session.pk),
            channel_name=session.channel_name,
            uid=user.pk,
            user=user,
            is_present=present,
            source=PresenceSource.NCS,
            occurred_at=at,
        )

    # when: the room reports the client leaving, then joining again
    left = session_presence_signal_apply(signal_id=signal(client, False, _at(t0, 10)).pk)
    session_heartbeat(user=reader, session_id=session.pk)
    joined = session_presence_signal_apply(signal_id=signal(client, True, timezone.now()).pk)
    # then
    assert (left, joined) == (S.RECONNECTING, S.ACTIVE)
    session.refresh_from_db()
    assert session.active_seconds == Decimal("0")  # the client's last heartbeat was the start
    assert session.reconnect_count == 1


def test_session_heartbeat_of_the_reader_keeps_them_busy_then_online_after_the_reading():
    # given: a reading longer than the readers' presence timeout, without dashboard heartbeats
    from apps.readers.enums import Presence
    from apps.readers.models import ReaderProfile
    from apps.readers.services import reader_presence_expire
    from apps.readings.services import session_end

    session, client, reader = start_reading(funds=Decimal("20.00"), at=timezone.now())
    ReaderProfile.objects.filter(user=reader).update(last_seen_at=timezone.now() - timedelta(seconds=100))
    # when: the room's heartbeats go on, the expiry job runs, then the client ends the reading
    session_heartbeat(user=reader, session_id=session.pk)
    ReaderProfile.objects.filter(user=reader).update(last_seen_at=F("last_seen_at") - timedelta(seconds=30))
    reader_presence_expire()
    busy = ReaderProfile.objects.get(user=reader).presence
    session_end(actor=client, session_id=session.pk, reason="thank you")
    # then
    assert busy == Presence.BUSY
    assert ReaderProfile.objects.get(user=reader).presence == Presence.ONLINE
    assert session.events.get(to_state=S.ENDED).reason == "client_ended: thank you"
