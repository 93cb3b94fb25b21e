"""The reader edits their availability: settings, weekly windows, exceptions and blocked time. Bad input is
refused with a clear message and saves nothing; every change is audited."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.utils import timezone

from apps.accounts.tests.factories import ReaderFactory, UserFactory
from apps.core.exceptions import InvalidInputError, NotFound, PermissionDeniedError
from apps.core.models import AuditLog
from apps.readers.tests.factories import ReaderProfileFactory
from apps.scheduling.enums import ExceptionKind
from apps.scheduling.models import DateException, ReaderSchedule, TimeBlock, WeeklyWindow
from apps.scheduling.services.availability import (
    date_exception_add,
    date_exception_remove,
    reader_schedule_update,
    time_block_add,
    time_block_remove,
    weekly_window_add,
    weekly_window_remove,
)

pytestmark = pytest.mark.django_db


def _settings(**overrides):
    values = {
        "timezone": "Europe/London",
        "is_accepting": True,
        "durations": [30, 60],
        "buffer_before_minutes": 5,
        "buffer_after_minutes": 10,
        "min_notice_minutes": 720,
        "horizon_days": 60,
        "has_scheduled_rate": True,
    }
    return {**values, **overrides}


def test_reader_schedule_update_creates_the_schedule_and_audits_the_change():
    # given
    reader = ReaderFactory()
    # when
    schedule = reader_schedule_update(actor=reader, **_settings())
    # then
    schedule.refresh_from_db()
    assert (schedule.timezone, schedule.is_accepting, schedule.durations) == ("Europe/London", True, [30, 60])
    assert (schedule.buffer_before_minutes, schedule.buffer_after_minutes) == (5, 10)
    assert AuditLog.objects.filter(action="scheduling.schedule_updated", actor=reader).count() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "not a known time zone"),
        ({"durations": [20]}, "15, 30, 45 or 60"),
        ({"durations": []}, "at least one duration"),
        ({"buffer_before_minutes": 121}, "Buffers"),
        ({"horizon_days": 0}, "between 1 and 180 days"),
        ({"min_notice_minutes": -1}, "minimum notice"),
        ({"has_scheduled_rate": False}, "scheduled reading rate"),
    ],
)
def test_reader_schedule_update_bad_input_is_refused_and_nothing_changes(overrides, message):
    # given
    reader = ReaderFactory()
    # when / then
    with pytest.raises(InvalidInputError, match=message):
        reader_schedule_update(actor=reader, **_settings(**overrides))
    assert not ReaderSchedule.objects.filter(reader=reader).exists()
    assert not AuditLog.objects.filter(action="scheduling.schedule_updated").exists()


def test_reader_schedule_update_without_a_rate_can_still_save_while_not_taking_bookings():
    reader = ReaderFactory()
    schedule = reader_schedule_update(actor=reader, **_settings(is_accepting=False, has_scheduled_rate=False))
    assert schedule.is_accepting is False


def test_availability_services_refuse_clients():
    with pytest.raises(PermissionDeniedError):
        weekly_window_add(actor=UserFactory(), weekdays=[0], start_time=time(9), end_time=time(10))


def test_weekly_window_add_several_days_and_midnight_end():
    # given
    reader = ReaderFactory()
    # when
    windows = weekly_window_add(actor=reader, weekdays=[0, 2, 4], start_time=time(18), end_time=time(0))
    # then
    assert [window.weekday for window in windows] == [0, 2, 4]
    assert WeeklyWindow.objects.filter(reader=reader, end_time=time(0)).count() == 3
    assert AuditLog.objects.filter(action="scheduling.window_added").count() == 1


def test_weekly_window_add_several_windows_a_day_that_do_not_overlap():
    reader = ReaderFactory()
    weekly_window_add(actor=reader, weekdays=[1], start_time=time(9), end_time=time(12))
    weekly_window_add(actor=reader, weekdays=[1], start_time=time(12), end_time=time(13))
    assert WeeklyWindow.objects.filter(reader=reader, weekday=1).count() == 2


def test_weekly_window_add_overlapping_any_day_saves_none():
    # given Tuesday 09:00–12:00
    reader = ReaderFactory()
    weekly_window_add(actor=reader, weekdays=[1], start_time=time(9), end_time=time(12))
    # when Monday to Wednesday 11:00–14:00
    with pytest.raises(InvalidInputError, match=r"overlaps your Tuesday window 09:00–12:00\. Nothing was saved\."):
        weekly_window_add(actor=reader, weekdays=[0, 1, 2], start_time=time(11), end_time=time(14))
    # then Monday and Wednesday were not saved either
    assert list(WeeklyWindow.objects.filter(reader=reader).values_list("weekday", flat=True)) == [1]


@pytest.mark.parametrize(("start", "end"), [(time(12), time(9)), (time(9), time(9))])
def test_weekly_window_add_end_not_after_start_is_refused(start, end):
    reader = ReaderFactory()
    with pytest.raises(InvalidInputError, match="must be after the start"):
        weekly_window_add(actor=reader, weekdays=[0], start_time=start, end_time=end)
    assert not WeeklyWindow.objects.exists()


def test_weekly_window_remove_someone_elses_window_is_not_found():
    # given
    owner, other = ReaderFactory(), ReaderFactory()
    window = weekly_window_add(actor=owner, weekdays=[0], start_time=time(9), end_time=time(10))[0]
    # when / then
    with pytest.raises(NotFound):
        weekly_window_remove(actor=other, window_id=window.pk)
    weekly_window_remove(actor=owner, window_id=window.pk)
    assert not WeeklyWindow.objects.exists()


def test_date_exception_add_day_off_and_extra_hours_and_refuses_overlaps_and_past_dates():
    # given
    reader = ReaderFactory()
    ReaderProfileFactory(user=reader)
    later = timezone.now().date() + timedelta(days=10)
    # when
    day_off = date_exception_add(actor=reader, on=later, kind=ExceptionKind.DAY_OFF)
    extra = date_exception_add(
        actor=reader, on=later, kind=ExceptionKind.EXTRA_HOURS, start_time=time(20), end_time=time(22)
    )
    # then
    assert day_off.start_time is None and extra.end_time == time(22)
    with pytest.raises(InvalidInputError, match="already a day off"):
        date_exception_add(actor=reader, on=later, kind=ExceptionKind.DAY_OFF)
    with pytest.raises(InvalidInputError, match="overlap your extra hours 20:00–22:00"):
        date_exception_add(
            actor=reader, on=later, kind=ExceptionKind.EXTRA_HOURS, start_time=time(21), end_time=time(0)
        )
    with pytest.raises(InvalidInputError, match="today or a later date"):
        date_exception_add(actor=reader, on=date(2020, 1, 1), kind=ExceptionKind.DAY_OFF)
    assert DateException.objects.filter(reader=reader).count() == 2
    date_exception_remove(actor=reader, exception_id=day_off.pk)
    assert DateException.objects.filter(reader=reader).count() == 1


def test_time_block_add_reads_times_in_the_readers_zone_and_refuses_an_end_before_the_start():
    # given a reader in New York
    reader = ReaderFactory()
    reader_schedule_update(actor=reader, **_settings(timezone="America/New_York", is_accepting=False))
    year = timezone.now().year + 1
    # when a block of 09:00–11:30 local on 1 July (EDT, UTC−4)
    block = time_block_add(
        actor=reader, starts_local=datetime(year, 7, 1, 9), ends_local=datetime(year, 7, 1, 11, 30), note="Dentist"
    )
    # then
    assert block.starts_at == datetime(year, 7, 1, 13, tzinfo=UTC)
    assert block.ends_at == datetime(year, 7, 1, 15, 30, tzinfo=UTC)
    with pytest.raises(InvalidInputError, match="must be after its start"):
        time_block_add(actor=reader, starts_local=datetime(year, 7, 1, 9), ends_local=datetime(year, 7, 1, 8))
    with pytest.raises(NotFound):
        time_block_remove(actor=ReaderFactory(), block_id=block.pk)
    time_block_remove(actor=reader, block_id=block.pk)
    assert not TimeBlock.objects.exists()
    assert AuditLog.objects.filter(action__in=["scheduling.block_added", "scheduling.block_removed"]).count() == 2
