"""Open slots of a reader, computed on the fly from their availability (never stored).

Pure functions of plain values, so the rules can be tested (and property-tested) without a database:

1. availability: for every date in the reader's zone, the weekly windows of its weekday (none on a day off)
   plus the extra hours of that date, each turned into an interval of UTC instants;
2. minus what is busy: time blocks, and active bookings widened by the reader's buffers;
3. slot starts on the 15-minute grid, each with the whole duration free, at least the minimum notice from now
   and starting before the horizon.

A window covers exactly the instants whose wall-clock time on its date is within [start, end) in the reader's
zone. Across a spring-forward gap the wall times that do not exist are skipped (a 01:00–04:00 window on that
night is two hours long); across a fall-back fold the repeated wall times count each time they occur (a
01:00–03:00 window that night is three hours long), and being instants, no slot is produced twice.
Every current IANA offset is a multiple of 15 minutes, so the UTC 15-minute grid is the same grid as the
reader's and the client's local quarter hours.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .constants import SLOT_STEP_MINUTES

STEP = timedelta(minutes=SLOT_STEP_MINUTES)
INSTANT_FORMAT = "%Y%m%dT%H%MZ"  # a slot's start in links: UTC, to the minute (20260601T0930Z)
MIDNIGHT = time(0, 0)

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Rules:
    """A reader's booking settings, as plain values (from ``ReaderSchedule``)."""

    timezone: str
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    min_notice_minutes: int = 0
    horizon_days: int = 60


@dataclass(frozen=True)
class LocalWindow:
    """Wall-clock hours on one weekday or one date; an end of 00:00 means midnight at the end of the day."""

    start: time
    end: time


def window_is_valid(start: time, end: time) -> bool:
    """Start before end, with 00:00 as an end meaning midnight."""
    return end == MIDNIGHT or start < end


def windows_overlap(first: LocalWindow, second: LocalWindow) -> bool:
    def bounds(window: LocalWindow) -> tuple[int, int]:
        end = 24 * 60 if window.end == MIDNIGHT else window.end.hour * 60 + window.end.minute
        return window.start.hour * 60 + window.start.minute, end

    (a_start, a_end), (b_start, b_end) = bounds(first), bounds(second)
    return a_start < b_end and b_start < a_end


def local_to_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The first instant whose wall-clock time in ``zone`` on ``day`` is ``at`` or later.

    An existing wall time gives its (first, if repeated) instant; a wall time inside a spring-forward gap gives
    the instant the gap ends (the clocks' jump), the first wall time after it that exists.
    """
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == naive:
        return first
    # In a gap: fold=1 reads the wall time with the offset from before the jump, which lands before the jump;
    # step forward to the first instant whose wall time is at or after ``naive``.
    candidate = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    candidate = min(candidate, first)
    while candidate.astimezone(zone).replace(tzinfo=None) < naive:
        candidate += timedelta(minutes=1)
    return candidate


def _offset(instant: datetime, zone: ZoneInfo) -> timedelta:
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None
    return offset


def day_segments(day: date, zone: ZoneInfo) -> list[tuple[datetime, datetime, timedelta]]:
    """The instants of the local date ``day`` as pieces of constant UTC offset: (start, end, offset).

    One piece on most days; two on a day the clocks change (zones change them at most once a day). On each
    piece the wall-clock time is the instant plus the offset, so a wall-time range maps to one interval.
    """
    start = local_to_utc(day, MIDNIGHT, zone)
    end = local_to_utc(day + timedelta(days=1), MIDNIGHT, zone)
    first, last = _offset(start, zone), _offset(end - timedelta(minutes=1), zone)
    if first == last:
        return [(start, end, first)]
    low, high = 0, int((end - start) / timedelta(minutes=1))  # the change is after `low`, at or before `high`
    while high - low > 1:
        middle = (low + high) // 2
        if _offset(start + timedelta(minutes=middle), zone) == first:
            low = middle
        else:
            high = middle
    change = start + timedelta(minutes=high)
    return [(start, change, first), (change, end, last)]


def window_instants(
    day: date,
    window: LocalWindow,
    zone: ZoneInfo,
    segments: list[tuple[datetime, datetime, timedelta]] | None = None,
) -> list[Interval]:
    """The instants whose wall-clock time on ``day`` is within [start, end): one interval, or two when the
    window crosses a fall-back fold partly (the repeated wall times count where they fall in the window).
    ``segments``: ``day_segments(day, zone)`` when the caller already has them."""
    wall_start = datetime.combine(day, window.start, tzinfo=UTC)
    end_day = day + timedelta(days=1) if window.end == MIDNIGHT else day
    wall_end = datetime.combine(end_day, window.end, tzinfo=UTC)
    intervals: list[Interval] = []
    for piece_start, piece_end, offset in segments if segments is not None else day_segments(day, zone):
        start, end = max(piece_start, wall_start - offset), min(piece_end, wall_end - offset)
        if start < end:
            intervals.append((start, end))
    return intervals


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, disjoint intervals covering the same instants (touching ones joined)."""
    merged: list[list[datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def subtract(available: list[Interval], busy: list[Interval]) -> list[Interval]:
    """``available`` minus ``busy``; both sorted and disjoint (``merge``)."""
    free: list[Interval] = []
    index = 0
    for start, end in available:
        cursor = start
        while index < len(busy) and busy[index][1] <= cursor:
            index += 1
        probe = index
        while probe < len(busy) and busy[probe][0] < end:
            busy_start, busy_end = busy[probe]
            if busy_start > cursor:
                free.append((cursor, busy_start))
            cursor = max(cursor, busy_end)
            if cursor >= end:
                break
            probe += 1
        if cursor < end:
            free.append((cursor, end))
    return free


def availability(
    *,
    rules: Rules,
    first_day: date,
    last_day: date,
    weekly: dict[int, list[LocalWindow]],
    extra: dict[date, list[LocalWindow]],
    days_off: set[date],
) -> list[Interval]:
    """The reader's available instants over the local dates ``first_day`` … ``last_day`` (merged)."""
    zone = ZoneInfo(rules.timezone)
    intervals: list[Interval] = []
    day = first_day
    while day <= last_day:
        windows = [] if day in days_off else list(weekly.get(day.weekday(), ()))
        windows += extra.get(day, [])
        if windows:
            segments = day_segments(day, zone)
            for window in windows:
                intervals += window_instants(day, window, zone, segments)
        day += timedelta(days=1)
    return merge(intervals)


def busy_intervals(*, rules: Rules, blocks: Iterable[Interval], bookings: Iterable[Interval]) -> list[Interval]:
    """What no slot may overlap: blocks as they are; each booking widened so that a new booking keeps its own
    buffers and the booked one's (the reader gets ``after`` then ``before`` minutes between two readings)."""
    pad = timedelta(minutes=rules.buffer_before_minutes + rules.buffer_after_minutes)
    widened = [(start - pad, end + pad) for start, end in bookings]
    return merge([*blocks, *widened])


def ceil_to_step(instant: datetime) -> datetime:
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    steps = -((epoch - instant) // STEP)  # ceiling division of timedeltas
    return epoch + steps * STEP


def slot_starts(
    *,
    free: list[Interval],
    duration: timedelta,
    earliest: datetime,
    horizon: datetime,
    range_start: datetime,
    range_end: datetime,
) -> Iterator[datetime]:
    """Starts on the grid with ``duration`` free, at or after ``earliest`` and ``range_start``, before
    ``horizon`` and ``range_end``."""
    lower = max(earliest, range_start)
    upper = min(horizon, range_end)
    for start, end in free:
        cursor = ceil_to_step(max(start, lower))
        while cursor < upper and cursor + duration <= end:
            yield cursor
            cursor += STEP


def reader_local_days(*, rules: Rules, range_start: datetime, range_end: datetime) -> tuple[date, date]:
    """The reader's local dates whose windows can reach into [range_start, range_end) (a day either side, so a
    window ending at midnight joins the next day's)."""
    zone = ZoneInfo(rules.timezone)
    return (
        range_start.astimezone(zone).date() - timedelta(days=1),
        range_end.astimezone(zone).date() + timedelta(days=1),
    )


def compute_slots(
    *,
    rules: Rules,
    duration_minutes: int,
    range_start: datetime,
    range_end: datetime,
    now: datetime,
    weekly: dict[int, list[LocalWindow]],
    extra: dict[date, list[LocalWindow]],
    days_off: set[date],
    blocks: Iterable[Interval],
    bookings: Iterable[Interval],
) -> list[datetime]:
    """The open slot starts (aware UTC) in [range_start, range_end), ascending and distinct."""
    first_day, last_day = reader_local_days(rules=rules, range_start=range_start, range_end=range_end)
    available = availability(
        rules=rules, first_day=first_day, last_day=last_day, weekly=weekly, extra=extra, days_off=days_off
    )
    free = subtract(available, busy_intervals(rules=rules, blocks=blocks, bookings=bookings))
    return list(
        slot_starts(
            free=free,
            duration=timedelta(minutes=duration_minutes),
            earliest=now + timedelta(minutes=rules.min_notice_minutes),
            horizon=now + timedelta(days=rules.horizon_days),
            range_start=range_start,
            range_end=range_end,
        )
    )


def instant_param(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime(INSTANT_FORMAT)
