"""Reads of availability and open slots (the booking side of scheduled readings).

Slots are computed from a fixed number of queries whatever the range: the schedule, the weekly windows, the
date exceptions, the blocks and the bookings of the range (five), then ``slots.compute_slots`` in Python.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.core.exceptions import NotFound
from apps.readers.enums import Modality
from apps.readers.exceptions import ReaderNotFound
from apps.readers.models import ReaderProfile
from apps.readers.selectors import available_modalities, rate_field, reader_listed_q

from .enums import ACTIVE_BOOKING_STATUSES, ExceptionKind
from .models import Booking, DateException, ReaderSchedule, TimeBlock, WeeklyWindow
from .slots import MIDNIGHT, LocalWindow, Rules, compute_slots, local_to_utc


def schedule_rules(schedule: ReaderSchedule) -> Rules:
    return Rules(
        timezone=schedule.timezone,
        buffer_before_minutes=schedule.buffer_before_minutes,
        buffer_after_minutes=schedule.buffer_after_minutes,
        min_notice_minutes=schedule.min_notice_minutes,
        horizon_days=schedule.horizon_days,
    )


def schedule_slots(
    *,
    schedule: ReaderSchedule,
    duration_minutes: int,
    range_start: datetime,
    range_end: datetime,
    now: datetime | None = None,
    exclude_booking_id: int | None = None,
) -> list[datetime]:
    """Open slot starts (aware UTC) of ``schedule``'s reader for ``duration_minutes`` in [range_start,
    range_end). Four queries. A duration the reader does not offer has no slots. ``exclude_booking_id``: a
    booking that does not take its time (the one being moved)."""
    if duration_minutes not in schedule.durations:
        return []
    now = now or timezone.now()
    rules = schedule_rules(schedule)
    zone = ZoneInfo(rules.timezone)
    reader_id = schedule.reader_id
    first_day = range_start.astimezone(zone).date() - timedelta(days=1)
    last_day = range_end.astimezone(zone).date() + timedelta(days=1)
    weekly: dict[int, list[LocalWindow]] = defaultdict(list)
    for weekday, start, end in WeeklyWindow.objects.filter(reader_id=reader_id).values_list(
        "weekday", "start_time", "end_time"
    ):
        weekly[weekday].append(LocalWindow(start, end))
    extra: dict[date, list[LocalWindow]] = defaultdict(list)
    days_off: set[date] = set()
    for day, kind, start, end in DateException.objects.filter(
        reader_id=reader_id, date__gte=first_day, date__lte=last_day
    ).values_list("date", "kind", "start_time", "end_time"):
        if kind == ExceptionKind.DAY_OFF:
            days_off.add(day)
        else:
            extra[day].append(LocalWindow(start, end))
    # Anything that can touch a slot of the range, buffers included (a day either side is more than enough).
    lower, upper = range_start - timedelta(days=1), range_end + timedelta(days=1)
    blocks = TimeBlock.objects.filter(reader_id=reader_id, ends_at__gt=lower, starts_at__lt=upper).values_list(
        "starts_at", "ends_at"
    )
    bookings = Booking.objects.filter(
        reader_id=reader_id,
        status__in=sorted(ACTIVE_BOOKING_STATUSES),
        ends_at__gt=lower,
        starts_at__lt=upper,
    )
    if exclude_booking_id is not None:
        bookings = bookings.exclude(pk=exclude_booking_id)
    return compute_slots(
        rules=rules,
        duration_minutes=duration_minutes,
        range_start=range_start,
        range_end=range_end,
        now=now,
        weekly=weekly,
        extra=extra,
        days_off=days_off,
        blocks=list(blocks),
        bookings=list(bookings.values_list("starts_at", "ends_at")),
    )


def slot_is_open(
    *,
    schedule: ReaderSchedule,
    starts_at: datetime,
    duration_minutes: int,
    now: datetime | None = None,
    exclude_booking_id: int | None = None,
) -> bool:
    """Whether [starts_at, starts_at + duration) is an open slot now. The booking service asks it again under
    the schedule lock, so the answer cannot change before the booking is written (the exclusion constraint
    still decides between two bookings that both saw it open)."""
    found = schedule_slots(
        schedule=schedule,
        duration_minutes=duration_minutes,
        range_start=starts_at,
        range_end=starts_at + timedelta(minutes=1),
        now=now,
        exclude_booking_id=exclude_booking_id,
    )
    return found == [starts_at]


# --- The reader's own calendar -------------------------------------------------------------------------


def schedule_for(*, reader: Any) -> ReaderSchedule | None:
    return ReaderSchedule.objects.filter(reader=reader).first()


def weekly_window_list(*, reader: Any) -> QuerySet[WeeklyWindow]:
    return WeeklyWindow.objects.filter(reader=reader).order_by("weekday", "start_time")


def date_exception_list(*, reader: Any, today: date) -> QuerySet[DateException]:
    """Exceptions from ``today`` on (the reader's local date)."""
    return DateException.objects.filter(reader=reader, date__gte=today).order_by("date", "start_time")


def time_block_list(*, reader: Any, now: datetime) -> QuerySet[TimeBlock]:
    """Blocks not over yet."""
    return TimeBlock.objects.filter(reader=reader, ends_at__gt=now).order_by("starts_at")


# --- A reader as seen by a client who wants to book ----------------------------------------------------


@dataclass(frozen=True)
class Bookable:
    """A listed reader and their booking terms. ``refusal`` says why they cannot be booked now ("" if they can)."""

    profile: ReaderProfile
    schedule: ReaderSchedule | None
    rate_amount: Decimal | None
    modalities: list[tuple[str, str]]
    refusal: str

    @property
    def durations(self) -> list[int]:
        return sorted(self.schedule.durations) if self.schedule else []

    @property
    def duration_prices(self) -> list[tuple[int, Decimal]]:
        if self.rate_amount is None:
            return []
        return [(minutes, (self.rate_amount * minutes).quantize(Decimal("0.01"))) for minutes in self.durations]


def offered_modalities(profile: ReaderProfile) -> list[tuple[str, str]]:
    """The modalities the reader offers on demand (a rate set) and this server can carry (Agora for voice and
    video): a booked reading uses the same room."""
    usable = available_modalities()
    return [
        (value, label)
        for value, label in Modality.choices
        if value in usable and getattr(profile, rate_field(value)) is not None
    ]


def bookable_reader_get(*, reader_user_id: int) -> Bookable:
    """A listed reader (``NotFound`` otherwise) with their schedule and whether they take bookings. One query."""
    profile = (
        ReaderProfile.objects.filter(reader_listed_q(), user_id=reader_user_id).select_related("user__schedule").first()
    )
    if profile is None:
        raise ReaderNotFound()
    schedule = getattr(profile.user, "schedule", None)
    modalities = offered_modalities(profile)
    refusal = ""
    if schedule is None or not schedule.is_accepting or not schedule.durations:
        refusal = f"{profile.display_name} is not taking bookings at the moment."
    elif profile.scheduled_rate_amount is None:
        refusal = f"{profile.display_name} has not set a price for booked readings yet."
    elif not modalities:
        refusal = f"{profile.display_name} offers no kind of reading this site can carry right now."
    return Bookable(
        profile=profile,
        schedule=schedule,
        rate_amount=profile.scheduled_rate_amount,
        modalities=modalities,
        refusal=refusal,
    )


def booking_party_get(*, viewer: Any, booking_id: int) -> Booking:
    """A booking of which ``viewer`` is the client or the reader (``NotFound`` for anyone else)."""
    viewer_id = getattr(viewer, "pk", None)
    booking = (
        Booking.objects.filter(Q(client_id=viewer_id) | Q(reader_id=viewer_id), pk=booking_id)
        .select_related("client", "reader", "reader__reader_profile")
        .first()
    )
    if viewer_id is None or booking is None:
        raise NotFound("This booking does not exist.")
    return booking


def reader_scheduled_rate(*, reader: Any) -> Decimal | None:
    """The reader's own scheduled rate per minute (None when they have not set one, or have no profile)."""
    return ReaderProfile.objects.filter(user=reader).values_list("scheduled_rate_amount", flat=True).first()


@dataclass(frozen=True)
class CalendarDay:
    weekday: int
    name: str
    windows: list[WeeklyWindow]


def availability_calendar(*, reader: Any, now: datetime | None = None) -> dict[str, Any]:
    """Everything the reader's availability page shows, in the reader's zone. Five queries."""
    from .services.availability import WEEKDAY_NAMES

    now = now or timezone.now()
    schedule = schedule_for(reader=reader)
    zone_name = schedule.timezone if schedule else (reader.timezone or "UTC")
    today = now.astimezone(ZoneInfo(zone_name)).date()
    by_day: dict[int, list[WeeklyWindow]] = defaultdict(list)
    for window in weekly_window_list(reader=reader):
        by_day[window.weekday].append(window)
    return {
        "schedule": schedule,
        "reader_timezone": zone_name,
        "week": [CalendarDay(day, name, by_day[day]) for day, name in enumerate(WEEKDAY_NAMES)],
        "exceptions": list(date_exception_list(reader=reader, today=today)),
        "blocks": list(time_block_list(reader=reader, now=now)),
        "scheduled_rate": reader_scheduled_rate(reader=reader),
    }


def policy_sentences(policy: dict[str, Any]) -> list[str]:
    """The cancellation policy snapshot in words, as shown before booking and on the booking."""
    full = policy["full_refund_before_hours"]
    half = policy["half_refund_before_hours"]
    share = int(Decimal(policy["half_refund_share"]) * 100)
    return [
        f"Cancel {full} hours or more before the start: full refund to your wallet.",
        f"Cancel between {full} and {half} hours before: {share}% refund; the rest pays the reader for the time.",
        f"Cancel less than {half} hours before, or miss the reading: no refund.",
        "If the reader cancels or does not join, you get the whole price back.",
    ]


@dataclass(frozen=True)
class SlotView:
    """One open time as a page shows it: written out once here, not by template filters per slot (a 60-day
    page has hundreds)."""

    instant: datetime
    param: str  # the confirm link's ``start``
    clock: str  # 14:30, in the viewer's zone
    label: str  # Monday 1 June, 14:30


@dataclass(frozen=True)
class SlotDay:
    day: date
    slots: list[SlotView]

    @property
    def label(self) -> str:
        return f"{self.day:%A} {self.day.day} {self.day:%B}"


@dataclass(frozen=True)
class SlotPage:
    """One day or one week of open slots, grouped by the viewer's local date."""

    days: list[SlotDay]
    duration: int
    first_day: date
    day_count: int
    previous_day: date | None
    next_day: date | None
    viewer_timezone: str

    @property
    def slot_count(self) -> int:
        return sum(len(day.slots) for day in self.days)


def slot_page(
    *,
    bookable: Bookable,
    viewer_timezone: str,
    duration: int,
    first_day: date,
    day_count: int,
    now: datetime | None = None,
) -> SlotPage:
    """Open slots from ``first_day`` for ``day_count`` days of the viewer's calendar. Four queries."""
    now = now or timezone.now()
    zone = ZoneInfo(viewer_timezone)
    today = now.astimezone(zone).date()
    last_day = first_day + timedelta(days=day_count)
    range_start, range_end = local_to_utc(first_day, MIDNIGHT, zone), local_to_utc(last_day, MIDNIGHT, zone)
    schedule = bookable.schedule
    slots: list[datetime] = []
    if schedule is not None and not bookable.refusal:
        slots = schedule_slots(
            schedule=schedule, duration_minutes=duration, range_start=range_start, range_end=range_end, now=now
        )
    grouped: dict[date, list[SlotView]] = defaultdict(list)
    day_names: dict[date, str] = {}
    for slot in slots:  # hundreds on a long page: plain formatting, each day's name written once
        local = slot.astimezone(zone)
        day = local.date()
        if day not in day_names:
            day_names[day] = f"{day:%A} {day.day} {day:%B}, "
        clock = f"{local.hour:02d}:{local.minute:02d}"
        param = f"{slot.year:04d}{slot.month:02d}{slot.day:02d}T{slot.hour:02d}{slot.minute:02d}Z"
        grouped[day].append(SlotView(slot, param, clock, day_names[day] + clock))
    horizon = (now + timedelta(days=schedule.horizon_days if schedule else 0)).astimezone(zone).date()
    previous = max(first_day - timedelta(days=day_count), today) if first_day > today else None
    return SlotPage(
        days=[
            SlotDay(first_day + timedelta(days=offset), grouped[first_day + timedelta(days=offset)])
            for offset in range(day_count)
        ],
        duration=duration,
        first_day=first_day,
        day_count=day_count,
        previous_day=previous,
        next_day=last_day if last_day <= horizon else None,
        viewer_timezone=viewer_timezone,
    )


PREVIEW_SLOTS = 8


def availability_preview(*, reader: Any, now: datetime | None = None) -> dict[str, Any]:
    """What clients see of the reader now: whether they can book at all (and why not), and the next open times
    of the shortest length offered, in the reader's own zone. Five queries."""
    now = now or timezone.now()
    try:
        bookable = bookable_reader_get(reader_user_id=reader.pk)
    except ReaderNotFound:
        return {"preview_refusal": "Your profile is not listed in the directory, so clients cannot book you."}
    if bookable.refusal:
        return {"preview_refusal": bookable.refusal}
    assert bookable.schedule is not None
    zone = bookable.schedule.timezone
    page = slot_page(
        bookable=bookable,
        viewer_timezone=zone,
        duration=bookable.durations[0],
        first_day=now.astimezone(ZoneInfo(zone)).date(),
        day_count=14,
        now=now,
    )
    slots = [slot for day in page.days for slot in day.slots][:PREVIEW_SLOTS]
    return {"preview_refusal": "", "preview_slots": slots, "preview_duration": page.duration}
