"""A reader edits when they can be booked: booking settings, weekly windows, date exceptions and time blocks.

Every change locks the reader's schedule row first (``locks.schedule_lock``), so it never interleaves with a
booking being made for the same reader, and is audited. Bad input raises ``InvalidInputError`` and saves
nothing (several windows added at once are all saved or none).
"""

import zoneinfo
from datetime import date, datetime, time
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone as dj_timezone

from apps.accounts.timezones import timezone_known
from apps.core.exceptions import InvalidInputError, NotFound, PermissionDeniedError
from apps.core.services import audit_log_record

from ..constants import DURATION_CHOICES, MAX_BUFFER_MINUTES, MAX_HORIZON_DAYS
from ..enums import ExceptionKind
from ..locks import schedule_lock
from ..models import DateException, ReaderSchedule, TimeBlock, WeeklyWindow
from ..slots import MIDNIGHT, LocalWindow, local_to_utc, window_is_valid, windows_overlap

MAX_NOTICE_MINUTES = 14 * 24 * 60
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _require_reader(actor: Any) -> None:
    if not getattr(actor, "is_reader", False):
        raise PermissionDeniedError("Only readers have an availability calendar.")


def schedule_locked(*, reader: Any) -> ReaderSchedule:
    """The reader's schedule, created on first use (in the reader's account timezone), locked.

    Inner helper: the caller holds the transaction. Two first uses at once both end up with the one row: the
    loser of the unique ``reader`` constraint reads the winner's (``get_or_create``'s savepoint)."""
    ReaderSchedule.objects.get_or_create(reader=reader, defaults={"timezone": reader.timezone or "UTC"})
    return schedule_lock(reader.pk)


def _hhmm(value: time) -> str:
    return "24:00" if value == MIDNIGHT else value.strftime("%H:%M")


def _check_window(start: time, end: time) -> None:
    if start.second or end.second or start.microsecond or end.microsecond:
        raise InvalidInputError("Times are in whole minutes.")
    if not window_is_valid(start, end):
        raise InvalidInputError(
            f"The end ({_hhmm(end)}) must be after the start ({start:%H:%M}). Use 00:00 as the end for midnight."
        )


@transaction.atomic(durable=True)
def reader_schedule_update(
    *,
    actor: Any,
    timezone: str,
    is_accepting: bool,
    durations: list[int],
    buffer_before_minutes: int,
    buffer_after_minutes: int,
    min_notice_minutes: int,
    horizon_days: int,
    has_scheduled_rate: bool,
    request: HttpRequest | None = None,
) -> ReaderSchedule:
    """Save the reader's booking settings. ``has_scheduled_rate``: whether their profile has a scheduled rate
    (the readers app owns it); taking bookings needs one, and at least one duration."""
    _require_reader(actor)
    if not timezone_known(timezone):
        raise InvalidInputError(f"“{timezone}” is not a known time zone.")
    durations = sorted(set(durations))
    if any(minutes not in DURATION_CHOICES for minutes in durations):
        raise InvalidInputError("Durations are 15, 30, 45 or 60 minutes.")
    if not (0 <= buffer_before_minutes <= MAX_BUFFER_MINUTES and 0 <= buffer_after_minutes <= MAX_BUFFER_MINUTES):
        raise InvalidInputError(f"Buffers are between 0 and {MAX_BUFFER_MINUTES} minutes.")
    if not 0 <= min_notice_minutes <= MAX_NOTICE_MINUTES:
        raise InvalidInputError("The minimum notice is between 0 minutes and 14 days.")
    if not 1 <= horizon_days <= MAX_HORIZON_DAYS:
        raise InvalidInputError(f"Clients can book between 1 and {MAX_HORIZON_DAYS} days ahead.")
    if is_accepting and not durations:
        raise InvalidInputError("Choose at least one duration before taking bookings.")
    if is_accepting and not has_scheduled_rate:
        raise InvalidInputError("Set a scheduled reading rate on your profile before taking bookings.")
    schedule = schedule_locked(reader=actor)
    before = _settings(schedule)
    schedule.timezone = timezone
    schedule.is_accepting = is_accepting
    schedule.durations = durations
    schedule.buffer_before_minutes = buffer_before_minutes
    schedule.buffer_after_minutes = buffer_after_minutes
    schedule.min_notice_minutes = min_notice_minutes
    schedule.horizon_days = horizon_days
    schedule.save()
    audit_log_record(
        actor=actor,
        action="scheduling.schedule_updated",
        target=schedule,
        details={"before": before, "after": _settings(schedule)},
        request=request,
    )
    return schedule


def _settings(schedule: ReaderSchedule) -> dict[str, Any]:
    return {
        "timezone": schedule.timezone,
        "is_accepting": schedule.is_accepting,
        "durations": list(schedule.durations),
        "buffer_before_minutes": schedule.buffer_before_minutes,
        "buffer_after_minutes": schedule.buffer_after_minutes,
        "min_notice_minutes": schedule.min_notice_minutes,
        "horizon_days": schedule.horizon_days,
    }


@transaction.atomic(durable=True)
def weekly_window_add(
    *, actor: Any, weekdays: list[int], start_time: time, end_time: time, request: HttpRequest | None = None
) -> list[WeeklyWindow]:
    """Add the window start–end (reader's local time) to each of ``weekdays``: all of them or none."""
    _require_reader(actor)
    weekdays = sorted(set(weekdays))
    if not weekdays or any(day not in range(7) for day in weekdays):
        raise InvalidInputError("Choose at least one day of the week.")
    _check_window(start_time, end_time)
    schedule_locked(reader=actor)
    new = LocalWindow(start_time, end_time)
    for existing in WeeklyWindow.objects.filter(reader=actor, weekday__in=weekdays):
        if windows_overlap(new, LocalWindow(existing.start_time, existing.end_time)):
            raise InvalidInputError(
                f"{start_time:%H:%M}–{_hhmm(end_time)} overlaps your {WEEKDAY_NAMES[existing.weekday]} window "
                f"{existing.start_time:%H:%M}–{_hhmm(existing.end_time)}. Nothing was saved."
            )
    windows = WeeklyWindow.objects.bulk_create(
        WeeklyWindow(reader=actor, weekday=day, start_time=start_time, end_time=end_time) for day in weekdays
    )
    audit_log_record(
        actor=actor,
        action="scheduling.window_added",
        target_type="scheduling.weeklywindow",
        target_id=",".join(str(window.pk) for window in windows),
        details={"weekdays": weekdays, "start": _hhmm(start_time), "end": _hhmm(end_time)},
        request=request,
    )
    return windows


@transaction.atomic(durable=True)
def weekly_window_remove(*, actor: Any, window_id: int, request: HttpRequest | None = None) -> None:
    _require_reader(actor)
    schedule_locked(reader=actor)
    window = WeeklyWindow.objects.filter(reader=actor, pk=window_id).first()
    if window is None:
        raise NotFound("No such window.")
    details = {"weekday": window.weekday, "start": _hhmm(window.start_time), "end": _hhmm(window.end_time)}
    window.delete()
    audit_log_record(
        actor=actor,
        action="scheduling.window_removed",
        target_type="scheduling.weeklywindow",
        target_id=window_id,
        details=details,
        request=request,
    )


@transaction.atomic(durable=True)
def date_exception_add(
    *,
    actor: Any,
    on: date,
    kind: str,
    start_time: time | None = None,
    end_time: time | None = None,
    request: HttpRequest | None = None,
) -> DateException:
    """A day off on ``on`` (no weekly windows that date), or extra hours start–end on that date."""
    _require_reader(actor)
    schedule = schedule_locked(reader=actor)
    today = dj_timezone.now().astimezone(zoneinfo.ZoneInfo(schedule.timezone)).date()
    if on < today:
        raise InvalidInputError("Choose today or a later date.")
    existing = list(DateException.objects.filter(reader=actor, date=on))
    if kind == ExceptionKind.DAY_OFF:
        if any(item.kind == ExceptionKind.DAY_OFF for item in existing):
            raise InvalidInputError(f"{on:%A %d %B %Y} is already a day off.")
        start_time = end_time = None
    elif kind == ExceptionKind.EXTRA_HOURS:
        if start_time is None or end_time is None:
            raise InvalidInputError("Give the start and end of the extra hours.")
        _check_window(start_time, end_time)
        new = LocalWindow(start_time, end_time)
        for item in existing:
            if item.kind == ExceptionKind.EXTRA_HOURS and windows_overlap(
                new, LocalWindow(item.start_time, item.end_time)
            ):
                raise InvalidInputError(
                    f"These hours overlap your extra hours {item.start_time:%H:%M}–{_hhmm(item.end_time)} "
                    "on that date. Nothing was saved."
                )
    else:
        raise InvalidInputError("Choose a day off or extra hours.")
    exception = DateException.objects.create(reader=actor, date=on, kind=kind, start_time=start_time, end_time=end_time)
    audit_log_record(
        actor=actor,
        action="scheduling.exception_added",
        target=exception,
        details={"date": on.isoformat(), "kind": kind},
        request=request,
    )
    return exception


@transaction.atomic(durable=True)
def date_exception_remove(*, actor: Any, exception_id: int, request: HttpRequest | None = None) -> None:
    _require_reader(actor)
    schedule_locked(reader=actor)
    exception = DateException.objects.filter(reader=actor, pk=exception_id).first()
    if exception is None:
        raise NotFound("No such date exception.")
    details = {"date": exception.date.isoformat(), "kind": exception.kind}
    exception.delete()
    audit_log_record(
        actor=actor,
        action="scheduling.exception_removed",
        target_type="scheduling.dateexception",
        target_id=exception_id,
        details=details,
        request=request,
    )


@transaction.atomic(durable=True)
def time_block_add(
    *,
    actor: Any,
    starts_local: datetime,
    ends_local: datetime,
    note: str = "",
    request: HttpRequest | None = None,
) -> TimeBlock:
    """Block [start, end) entered as wall-clock times in the reader's zone (naive datetimes). Bookings already
    made inside it stay booked: the reader cancels them from their bookings if they must."""
    _require_reader(actor)
    schedule = schedule_locked(reader=actor)
    zone = zoneinfo.ZoneInfo(schedule.timezone)
    starts_at = local_to_utc(starts_local.date(), starts_local.time(), zone)
    ends_at = local_to_utc(ends_local.date(), ends_local.time(), zone)
    if ends_at <= starts_at:
        raise InvalidInputError("The end of a blocked time must be after its start.")
    if ends_at <= dj_timezone.now():
        raise InvalidInputError("That time is already over.")
    block = TimeBlock.objects.create(reader=actor, starts_at=starts_at, ends_at=ends_at, note=note.strip()[:200])
    audit_log_record(
        actor=actor,
        action="scheduling.block_added",
        target=block,
        details={"starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat()},
        request=request,
    )
    return block


@transaction.atomic(durable=True)
def time_block_remove(*, actor: Any, block_id: int, request: HttpRequest | None = None) -> None:
    _require_reader(actor)
    schedule_locked(reader=actor)
    block = TimeBlock.objects.filter(reader=actor, pk=block_id).first()
    if block is None:
        raise NotFound("No such blocked time.")
    details = {"starts_at": block.starts_at.isoformat(), "ends_at": block.ends_at.isoformat()}
    block.delete()
    audit_log_record(
        actor=actor,
        action="scheduling.block_removed",
        target_type="scheduling.timeblock",
        target_id=block_id,
        details=details,
        request=request,
    )
