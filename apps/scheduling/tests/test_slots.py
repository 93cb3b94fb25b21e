"""Slots of a reader read from the database: the rules on concrete days, clock changes, and a constant number of
queries however long the range."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.tests.factories import UserFactory
from apps.scheduling.enums import BookingStatus, ExceptionKind
from apps.scheduling.models import Booking, DateException, TimeBlock, WeeklyWindow
from apps.scheduling.selectors_slots import schedule_slots, slot_is_open
from apps.scheduling.slots import LocalWindow, day_segments, window_instants
from apps.scheduling.tests.factories import ReaderScheduleFactory, booking_funded, weekly_windows
from tests.support.money import top_up

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)  # a Monday, 07:00 in London (BST)


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_window_instants_spring_forward_night_skips_the_missing_hour():
    # given New York's spring-forward night (02:00 → 03:00 on 8 March 2026)
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("America/New_York")
    # when a 01:00–04:00 window and a window starting inside the gap
    window = window_instants(date(2026, 3, 8), LocalWindow(time(1), time(4)), zone)
    in_gap = window_instants(date(2026, 3, 8), LocalWindow(time(2, 30), time(3, 30)), zone)
    # then two real hours, and the gap window starts when the clocks jump
    assert sum((end - start for start, end in window), timedelta()) == timedelta(hours=2)
    assert window[0][0] == _utc(2026, 3, 8, 6) and window[-1][1] == _utc(2026, 3, 8, 8)
    assert in_gap == [(_utc(2026, 3, 8, 7), _utc(2026, 3, 8, 7, 30))]


def test_window_instants_fall_back_night_counts_the_repeated_hour_twice_without_duplicates():
    # given London's fall-back night (02:00 BST → 01:00 GMT on 25 October 2026)
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Europe/London")
    assert len(day_segments(date(2026, 10, 25), zone)) == 2
    # when
    window = window_instants(date(2026, 10, 25), LocalWindow(time(0), time(3)), zone)
    repeated = window_instants(date(2026, 10, 25), LocalWindow(time(1, 15), time(1, 30)), zone)
    # then 00:00 BST (23:00Z) to 03:00 GMT (03:00Z): four real hours; 01:15–01:30 happens twice, once each
    assert window == [(_utc(2026, 10, 24, 23), _utc(2026, 10, 25, 1)), (_utc(2026, 10, 25, 1), _utc(2026, 10, 25, 3))]
    assert repeated == [
        (_utc(2026, 10, 25, 0, 15), _utc(2026, 10, 25, 0, 30)),
        (_utc(2026, 10, 25, 1, 15), _utc(2026, 10, 25, 1, 30)),
    ]


def test_schedule_slots_follow_windows_bookings_buffers_blocks_and_exceptions():
    # given a London reader, Mondays and Tuesdays 09:00–12:00 (BST: 08:00–11:00Z), 15-minute buffers each side
    schedule = ReaderScheduleFactory(buffer_before_minutes=15, buffer_after_minutes=15)
    reader = schedule.reader
    weekly_windows(reader, start=time(9), end=time(12), weekdays=[0, 1])
    client = UserFactory()
    top_up(client, "100.00")
    booking_funded(client=client, reader=reader, starts_at=_utc(2026, 6, 1, 9), duration_minutes=30)
    TimeBlock.objects.create(reader=reader, starts_at=_utc(2026, 6, 1, 10, 30), ends_at=_utc(2026, 6, 1, 10, 40))
    DateException.objects.create(reader=reader, date=date(2026, 6, 2), kind=ExceptionKind.DAY_OFF)
    DateException.objects.create(
        reader=reader, date=date(2026, 6, 3), kind=ExceptionKind.EXTRA_HOURS, start_time=time(20), end_time=time(0)
    )
    # when
    slots = schedule_slots(
        schedule=schedule, duration_minutes=30, range_start=_utc(2026, 6, 1), range_end=_utc(2026, 6, 4), now=NOW
    )
    # then Monday: 08:00 ends as the booking's buffers begin (08:30–10:00: 09:00–09:30 ± 15 + 15 min);
    # 10:00 runs into the block at 10:30; after the block 10:45 would end past 11:00.
    # Tuesday is a day off; Wednesday has extra hours 20:00–24:00 BST (19:00–23:00Z)
    monday = [_utc(2026, 6, 1, 8)]
    wednesday = [_utc(2026, 6, 3, 19) + timedelta(minutes=15 * step) for step in range(15)]
    assert slots == [*monday, _utc(2026, 6, 1, 10), *wednesday]


def test_schedule_slots_respect_minimum_notice_horizon_and_offered_durations():
    # given a reader taking 30- and 60-minute bookings, with 2 hours' notice, 2 days ahead
    schedule = ReaderScheduleFactory(durations=[30, 60], min_notice_minutes=120, horizon_days=2)
    weekly_windows(schedule.reader, start=time(0), end=time(0))  # all day, every day
    # when
    slots = schedule_slots(
        schedule=schedule, duration_minutes=60, range_start=_utc(2026, 5, 31), range_end=_utc(2026, 6, 10), now=NOW
    )
    fifteen = schedule_slots(
        schedule=schedule, duration_minutes=15, range_start=_utc(2026, 5, 31), range_end=_utc(2026, 6, 10), now=NOW
    )
    # then from now + 2 h to (but not at) now + 2 days, every quarter hour; no 15-minute slots at all
    assert slots[0] == NOW + timedelta(hours=2)
    assert slots[-1] == NOW + timedelta(days=2) - timedelta(minutes=15)
    assert len(slots) == (48 - 2) * 4
    assert fifteen == []


def test_slot_is_open_says_no_once_the_time_is_booked_and_yes_again_once_cancelled():
    # given
    schedule = ReaderScheduleFactory()
    weekly_windows(schedule.reader)
    client = UserFactory()
    top_up(client, "100.00")
    start = _utc(2026, 6, 2, 10)
    assert slot_is_open(schedule=schedule, starts_at=start, duration_minutes=30, now=NOW)
    # when
    booking = booking_funded(client=client, reader=schedule.reader, starts_at=start)
    # then
    assert not slot_is_open(schedule=schedule, starts_at=start, duration_minutes=30, now=NOW)
    assert not slot_is_open(schedule=schedule, starts_at=start + timedelta(minutes=5), duration_minutes=15, now=NOW)
    Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.CANCELLED)
    assert slot_is_open(schedule=schedule, starts_at=start, duration_minutes=30, now=NOW)


@pytest.mark.parametrize("days", [1, 60])
def test_schedule_slots_cost_four_queries_whatever_the_range(days):
    # given a reader with many windows, exceptions, blocks and bookings
    schedule = ReaderScheduleFactory()
    reader = schedule.reader
    weekly_windows(reader, start=time(8), end=time(12))
    weekly_windows(reader, start=time(13), end=time(18))
    client = UserFactory()
    top_up(client, "1000.00")
    for index in range(10):
        booking_funded(client=client, reader=reader, starts_at=_utc(2026, 6, 2 + index, 9), rate_amount=Decimal("1.00"))
        TimeBlock.objects.create(
            reader=reader, starts_at=_utc(2026, 6, 2 + index, 14), ends_at=_utc(2026, 6, 2 + index, 15)
        )
        DateException.objects.create(reader=reader, date=date(2026, 6, 15 + index), kind=ExceptionKind.DAY_OFF)
    assert WeeklyWindow.objects.filter(reader=reader).count() == 14
    # when
    with CaptureQueriesContext(connection) as queries:
        slots = schedule_slots(
            schedule=schedule,
            duration_minutes=30,
            range_start=_utc(2026, 6, 1),
            range_end=_utc(2026, 6, 1) + timedelta(days=days),
            now=NOW,
        )
    # then
    assert slots
    assert len(queries) == 4
