"""Property test of slot generation across daylight-saving changes (issue 11).

Random weekly windows, extra hours, days off, blocks, bookings, buffers, notice and horizon, around the 2026
clock changes of America/New_York, Europe/London and Australia/Sydney (and Asia/Kolkata, which has none and a
half-hour offset). The slots are compared with an oracle that reads the rules directly, one 5-minute cell at a
time, in the reader's wall-clock time: every slot is open, and every open grid start is a slot.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from apps.scheduling.slots import MIDNIGHT, LocalWindow, Rules, compute_slots

ZONES = ["America/New_York", "Europe/London", "Australia/Sydney", "Asia/Kolkata"]
# The 2026 clock changes of those zones (Kolkata has none).
CHANGE_DAYS = [date(2026, 3, 8), date(2026, 11, 1), date(2026, 3, 29), date(2026, 10, 25)]
CHANGE_DAYS += [date(2026, 4, 5), date(2026, 10, 4)]
CELL = timedelta(minutes=5)


def _as_time(cells: int) -> time:
    return MIDNIGHT if cells == 288 else time(cells * 5 // 60, cells * 5 % 60)


@st.composite
def day_windows(draw, max_windows: int = 3) -> list[LocalWindow]:
    """Non-overlapping windows on 5-minute boundaries; an end of 00:00 is midnight."""
    bounds = sorted(draw(st.sets(st.integers(0, 288), max_size=2 * max_windows)))
    if len(bounds) % 2:
        bounds = bounds[:-1]
    return [LocalWindow(_as_time(bounds[i]), _as_time(bounds[i + 1])) for i in range(0, len(bounds), 2)]


@st.composite
def scenarios(draw):
    zone = draw(st.sampled_from(ZONES))
    anchor = draw(st.sampled_from(CHANGE_DAYS)) + timedelta(days=draw(st.integers(-2, 2)))
    range_start = datetime.combine(anchor, time(0), tzinfo=UTC) + timedelta(hours=draw(st.integers(-14, 14)))
    range_end = range_start + timedelta(hours=draw(st.integers(1, 72)))
    now = range_start + timedelta(minutes=draw(st.integers(-3 * 24 * 60, 24 * 60)))
    rules = Rules(
        timezone=zone,
        buffer_before_minutes=draw(st.sampled_from([0, 5, 10, 15, 30])),
        buffer_after_minutes=draw(st.sampled_from([0, 5, 15, 45])),
        min_notice_minutes=draw(st.integers(0, 48 * 60)),
        horizon_days=draw(st.integers(1, 6)),
    )
    weekly = {weekday: draw(day_windows()) for weekday in range(7)}
    local_days = [anchor + timedelta(days=offset) for offset in range(-3, 6)]
    extra = {day: draw(day_windows(max_windows=2)) for day in draw(st.sets(st.sampled_from(local_days), max_size=3))}
    days_off = draw(st.sets(st.sampled_from(local_days), max_size=3))

    def intervals(min_minutes: int, max_minutes: int, step: int) -> list[tuple[datetime, datetime]]:
        found = []
        for start_step, length in draw(
            st.lists(st.tuples(st.integers(-48 * 60 // step, 96 * 60 // step), st.integers(min_minutes, max_minutes)))
        ):
            start = range_start + timedelta(minutes=start_step * step)
            found.append((start, start + timedelta(minutes=length)))
        return found

    bookings = intervals(15, 60, 15)
    bookings = [
        (start, start + timedelta(minutes=round((end - start).seconds / 60 / 15) * 15)) for start, end in bookings
    ]
    blocks = intervals(1, 600, 1)
    duration = draw(st.sampled_from([15, 30, 45, 60]))
    return {
        "rules": rules,
        "duration": duration,
        "range_start": range_start,
        "range_end": range_end,
        "now": now,
        "weekly": weekly,
        "extra": extra,
        "days_off": days_off,
        "blocks": blocks,
        "bookings": bookings,
    }


def _available(instant: datetime, case: dict) -> bool:
    """The oracle: is the reader's wall-clock time at ``instant`` inside one of the windows of its date?"""
    wall = instant.astimezone(ZoneInfo(case["rules"].timezone))
    day, clock = wall.date(), wall.time().replace(tzinfo=None)
    windows = [] if day in case["days_off"] else list(case["weekly"].get(day.weekday(), []))
    windows += case["extra"].get(day, [])
    return any(window.start <= clock and (window.end == MIDNIGHT or clock < window.end) for window in windows)


def _overlaps(start: datetime, end: datetime, other_start: datetime, other_end: datetime) -> bool:
    return start < other_end and other_start < end


def _is_open(start: datetime, case: dict) -> bool:
    rules: Rules = case["rules"]
    end = start + timedelta(minutes=case["duration"])
    before, after = timedelta(minutes=rules.buffer_before_minutes), timedelta(minutes=rules.buffer_after_minutes)
    cells = int((end - start) / CELL)
    return (
        start >= case["now"] + timedelta(minutes=rules.min_notice_minutes)
        and start < case["now"] + timedelta(days=rules.horizon_days)
        and all(_available(start + index * CELL, case) for index in range(cells))
        and not any(_overlaps(start, end, *block) for block in case["blocks"])
        # The new reading with its buffers never meets a booked one with its buffers.
        and not any(
            _overlaps(start - before, end + after, b_start - before, b_end + after)
            for b_start, b_end in case["bookings"]
        )
    )


@settings(max_examples=300, deadline=None)
@given(case=scenarios())
def test_compute_slots_are_exactly_the_open_grid_starts_across_clock_changes(case):
    # given a random reader around a clock change
    rules: Rules = case["rules"]
    # when
    slots = compute_slots(
        rules=rules,
        duration_minutes=case["duration"],
        range_start=case["range_start"],
        range_end=case["range_end"],
        now=case["now"],
        weekly=case["weekly"],
        extra=case["extra"],
        days_off=case["days_off"],
        blocks=case["blocks"],
        bookings=case["bookings"],
    )
    # then: ascending, distinct, aligned to the quarter hour in UTC and in the reader's zone, inside the range
    zone = ZoneInfo(rules.timezone)
    assert slots == sorted(set(slots))
    for slot in slots:
        assert slot.tzinfo is not None and slot.second == 0 and slot.microsecond == 0
        assert slot.minute % 15 == 0 and slot.astimezone(zone).minute % 15 == 0
        assert case["range_start"] <= slot < case["range_end"]
    # then: no slot outside availability, on a block, against a booking's buffers, inside the minimum notice or
    # past the horizon; and every grid start that is open is offered
    grid_start = case["range_start"].replace(minute=0, second=0, microsecond=0)
    grid = [grid_start + index * timedelta(minutes=15) for index in range(4 * 80)]
    expected = [start for start in grid if case["range_start"] <= start < case["range_end"] and _is_open(start, case)]
    assert slots == expected
