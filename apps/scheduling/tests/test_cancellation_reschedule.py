"""Moving a booking: once, only in the free window, only onto an open time of the same reader."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.tests.factories import UserFactory
from apps.core.exceptions import InvalidInputError, InvalidStateError, NotFound
from apps.core.models import AuditLog
from apps.notifications.models import Notification
from apps.scheduling.enums import BookingEvent, ExceptionKind
from apps.scheduling.models import Booking, DateException, ReaderSchedule, TimeBlock
from apps.scheduling.notify import KINDS
from apps.scheduling.services import cancellation
from apps.scheduling.services.cancellation import (
    booking_reschedule,
    booking_reschedule_options,
)
from apps.scheduling.tests.factories import ReaderScheduleFactory, booking_funded, weekly_windows
from apps.wallet.selectors import balance_of
from apps.wallet.services.holds import hold_find
from apps.wallet.services.ledger import wallet_account
from tests.support.money import top_up

pytestmark = pytest.mark.django_db

KIND_RESCHEDULED = KINDS[BookingEvent.RESCHEDULED]
LONDON = ZoneInfo("Europe/London")
# Monday 11 January 2027, 10:00 in London (GMT, so 10:00 UTC).
START = datetime(2027, 1, 11, 10, 0, tzinfo=LONDON)
NOW = START - timedelta(days=3)


@pytest.fixture
def booked():
    """A London reader open 09:00–17:00 every day; a client's 30-minute booking at START, made three days ahead."""
    schedule = ReaderScheduleFactory()
    weekly_windows(schedule.reader)
    client = UserFactory(timezone="America/Los_Angeles")
    top_up(client, "100.00")
    return booking_funded(client=client, reader=schedule.reader, starts_at=START)


def _move(booking, starts_at, at=NOW):
    return booking_reschedule(client=booking.client, booking_id=booking.pk, starts_at=starts_at, at=at)


def _unchanged(booking) -> None:
    fresh = Booking.objects.get(pk=booking.pk)
    assert (fresh.starts_at, fresh.reschedule_count, fresh.ics_sequence) == (START, 0, 0)


def test_booking_reschedule_to_an_open_time_moves_it_once_and_moves_no_money(booked):
    # given
    new_start = START + timedelta(days=1, hours=4)  # Tuesday 14:00 London
    # when
    booking = _move(booked, new_start)
    # then
    assert (booking.starts_at, booking.ends_at) == (new_start, new_start + timedelta(minutes=30))
    assert (booking.reschedule_count, booking.ics_sequence) == (1, 1)
    assert balance_of(wallet_account(booked.client)) == Decimal("40.00")
    assert hold_find("booking", booked.pk).balance == Decimal("60.00")
    entry = AuditLog.objects.get(action="scheduling.booking_rescheduled")
    assert entry.actor == booked.client
    assert entry.details["from"] == START.isoformat()
    told = set(Notification.objects.filter(kind=KIND_RESCHEDULED).values_list("user_id", flat=True))
    assert told == {booked.client_id, booked.reader_id}


def test_booking_reschedule_twice_is_refused(booked):
    # given
    _move(booked, START + timedelta(hours=2))
    # when / then
    with pytest.raises(InvalidStateError, match="moved once already"):
        _move(booked, START + timedelta(hours=4))
    assert Booking.objects.get(pk=booked.pk).starts_at == START + timedelta(hours=2)


def test_booking_reschedule_inside_24_hours_is_refused(booked):
    # when / then: 23 hours before the start, to a perfectly open time
    with pytest.raises(InvalidStateError, match="until 24 hours before"):
        _move(booked, START + timedelta(days=2), at=START - timedelta(hours=23))
    _unchanged(booked)


def test_booking_reschedule_exactly_24_hours_before_is_allowed(booked):
    # when
    booking = _move(booked, START + timedelta(days=2), at=START - timedelta(hours=24))
    # then
    assert booking.reschedule_count == 1


def test_booking_reschedule_onto_a_taken_slot_is_refused_with_nothing_changed(booked):
    # given: another client holds 12:00–12:30
    other = UserFactory()
    top_up(other, "100.00")
    booking_funded(client=other, reader=booked.reader, starts_at=START + timedelta(hours=2))
    # when / then: onto it, and onto a time that overlaps it
    for taken in (START + timedelta(hours=2), START + timedelta(hours=1, minutes=45)):
        with pytest.raises(InvalidStateError, match="not open any more"):
            _move(booked, taken)
    _unchanged(booked)
    assert not AuditLog.objects.filter(action="scheduling.booking_rescheduled").exists()


def test_booking_reschedule_respects_the_readers_buffers(booked):
    # given: 15 minutes free after each reading; another booking 12:00–12:30
    ReaderSchedule.objects.filter(reader=booked.reader).update(buffer_after_minutes=15)
    other = UserFactory()
    top_up(other, "100.00")
    booking_funded(client=other, reader=booked.reader, starts_at=START + timedelta(hours=2))
    # when / then: 12:30 is inside the other reading's buffer, 11:30 would run into this one's
    for too_close in (START + timedelta(hours=2, minutes=30), START + timedelta(hours=1, minutes=30)):
        with pytest.raises(InvalidStateError):
            _move(booked, too_close)
    assert _move(booked, START + timedelta(hours=2, minutes=45)).reschedule_count == 1


@pytest.mark.parametrize(
    "refused",
    [
        pytest.param(START + timedelta(hours=8), id="after the window (18:00)"),
        pytest.param(START + timedelta(hours=6, minutes=45), id="running past the window's end"),
        pytest.param(START + timedelta(days=1, minutes=7), id="off the quarter-hour grid"),
        pytest.param(NOW - timedelta(hours=1), id="in the past"),
        pytest.param(START + timedelta(days=80), id="beyond the horizon"),
    ],
)
def test_booking_reschedule_to_a_time_that_is_not_open_is_refused(booked, refused):
    # when / then
    with pytest.raises(InvalidStateError, match="not open"):
        _move(booked, refused)
    _unchanged(booked)


def test_booking_reschedule_on_a_day_off_or_a_blocked_time_is_refused_but_extra_hours_open(booked):
    # given: Tuesday off, Wednesday 14:00–15:00 blocked, Thursday extra hours 18:00–20:00
    DateException.objects.create(reader=booked.reader, date=date(2027, 1, 12), kind=ExceptionKind.DAY_OFF)
    TimeBlock.objects.create(
        reader=booked.reader,
        starts_at=datetime(2027, 1, 13, 14, tzinfo=LONDON),
        ends_at=datetime(2027, 1, 13, 15, tzinfo=LONDON),
    )
    DateException.objects.create(
        reader=booked.reader,
        date=date(2027, 1, 14),
        kind=ExceptionKind.EXTRA_HOURS,
        start_time=time(18),
        end_time=time(20),
    )
    # when / then
    for refused in (datetime(2027, 1, 12, 11, tzinfo=LONDON), datetime(2027, 1, 13, 14, 45, tzinfo=LONDON)):
        with pytest.raises(InvalidStateError):
            _move(booked, refused)
    assert _move(booked, datetime(2027, 1, 14, 19, tzinfo=LONDON)).reschedule_count == 1


def test_booking_reschedule_within_minimum_notice_is_refused(booked):
    # given: 26 hours' notice ("now" is Friday 10:00 London)
    ReaderSchedule.objects.filter(reader=booked.reader).update(min_notice_minutes=26 * 60)
    # when / then: Saturday 11:00 is inside the notice, Saturday 14:00 is not
    with pytest.raises(InvalidStateError):
        _move(booked, NOW + timedelta(hours=25))
    assert _move(booked, NOW + timedelta(hours=28)).reschedule_count == 1


def test_booking_reschedule_windows_are_the_readers_local_hours_across_dst():
    # given: a London reader open 09:00–17:00; a booking in winter, moved to a day of British Summer Time
    schedule = ReaderScheduleFactory(horizon_days=120)
    weekly_windows(schedule.reader)
    client = UserFactory()
    top_up(client, "100.00")
    booking = booking_funded(client=client, reader=schedule.reader, starts_at=datetime(2027, 3, 22, 10, tzinfo=LONDON))
    at = datetime(2027, 3, 15, tzinfo=UTC)
    # when / then: 16:30 UTC is 17:30 in London on 29 March (BST): closed; 08:00 UTC is 09:00 there: open
    with pytest.raises(InvalidStateError):
        booking_reschedule(
            client=client, booking_id=booking.pk, starts_at=datetime(2027, 3, 29, 16, 30, tzinfo=UTC), at=at
        )
    moved = booking_reschedule(
        client=client, booking_id=booking.pk, starts_at=datetime(2027, 3, 29, 8, tzinfo=UTC), at=at
    )
    assert moved.starts_at.astimezone(LONDON).hour == 9


def test_booking_reschedule_race_lost_at_the_exclusion_constraint_is_refused_cleanly(booked, monkeypatch):
    # given: the availability check saw the time free, but another booking committed it first
    other = UserFactory()
    top_up(other, "100.00")
    booking_funded(client=other, reader=booked.reader, starts_at=START + timedelta(hours=2))
    monkeypatch.setattr(cancellation, "_new_time_is_open", lambda **kwargs: True)
    # when / then
    with pytest.raises(InvalidStateError, match="not open any more"):
        _move(booked, START + timedelta(hours=2))
    _unchanged(booked)


def test_booking_reschedule_by_someone_else_is_not_found(booked):
    # when / then: the reader, and a stranger
    for user in (booked.reader, UserFactory()):
        with pytest.raises(NotFound):
            booking_reschedule(client=user, booking_id=booked.pk, starts_at=START + timedelta(hours=2), at=NOW)
    _unchanged(booked)


def test_booking_reschedule_to_the_same_time_is_refused(booked):
    # when / then
    with pytest.raises(InvalidInputError):
        _move(booked, START)
    _unchanged(booked)


def test_booking_reschedule_options_are_the_open_times_of_the_viewers_day(booked):
    # given: another booking 12:00–12:30 London
    other = UserFactory()
    top_up(other, "100.00")
    booking_funded(client=other, reader=booked.reader, starts_at=START + timedelta(hours=2))
    # when: Monday 11 January in Los Angeles runs 08:00 UTC Monday to 08:00 UTC Tuesday
    with CaptureQueriesContext(connection) as queries:
        options = booking_reschedule_options(booking=booked, day=date(2027, 1, 11), zone="America/Los_Angeles", at=NOW)
    # then: London 09:00–16:30 starts every quarter hour, minus the booking's own time and those overlapping 12:00
    london = [option.astimezone(LONDON).strftime("%H:%M") for option in options]
    assert london[0] == "09:00" and london[-1] == "16:30"
    assert "10:00" not in london  # its own time
    assert not {"11:45", "12:00", "12:15"} & set(london)
    assert {"11:30", "12:30"} <= set(london)
    assert len(queries) <= 6
