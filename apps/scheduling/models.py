"""Availability, time blocks and bookings of scheduled readings.

Slots are never stored: they are computed from a reader's weekly windows (in the reader's own timezone), date
exceptions, time blocks and active bookings (``selectors.slots``). Times of day are local to the reader's
timezone; instants (``*_at``) are aware UTC datetimes.
"""

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import ArrayField, RangeBoundary, RangeOperators
from django.db import models
from django.db.models import F, Func, Q
from django.utils import timezone

from apps.accounts.models import validate_timezone

from .constants import DEFAULT_HORIZON_DAYS, DEFAULT_MIN_NOTICE_MINUTES, DURATION_CHOICES
from .enums import (
    ACTIVE_BOOKING_STATUSES,
    BookingEvent,
    BookingStatus,
    CancelledBy,
    ExceptionKind,
    Modality,
    NoShowParty,
)

MONEY = {"max_digits": 12, "decimal_places": 2}


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = models.DateTimeField()  # only used inside the exclusion constraint's expression


class ReaderSchedule(models.Model):
    """A reader's booking settings; the reader's row is locked while their bookings and availability change."""

    reader = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="schedule")
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    is_accepting = models.BooleanField("taking bookings", default=False)
    durations = ArrayField(models.PositiveSmallIntegerField(), default=list, blank=True)
    buffer_before_minutes = models.PositiveSmallIntegerField(default=0)
    buffer_after_minutes = models.PositiveSmallIntegerField(default=0)
    min_notice_minutes = models.PositiveIntegerField(default=DEFAULT_MIN_NOTICE_MINUTES)
    horizon_days = models.PositiveSmallIntegerField(default=DEFAULT_HORIZON_DAYS)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(durations__contained_by=list(DURATION_CHOICES)), name="schedule_durations_known"
            ),
            models.CheckConstraint(
                condition=Q(horizon_days__gte=1, horizon_days__lte=180), name="schedule_horizon_range"
            ),
            models.CheckConstraint(
                condition=Q(buffer_before_minutes__lte=120, buffer_after_minutes__lte=120),
                name="schedule_buffers_range",
            ),
        ]

    def __str__(self) -> str:
        return f"schedule of reader {self.reader_id}"


class WeeklyWindow(models.Model):
    """A repeating window of availability: every <weekday> from <start_time> to <end_time>, reader's local time.
    An end of 00:00 means midnight at the end of the day."""

    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="weekly_windows")
    weekday = models.PositiveSmallIntegerField()  # Monday 0 … Sunday 6, as date.weekday()
    start_time = models.TimeField()
    end_time = models.TimeField()

    class Meta:
        ordering = ["weekday", "start_time"]
        indexes = [models.Index(fields=["reader", "weekday"], name="weekly_window_reader_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6), name="weekly_window_weekday_range"),
        ]

    def __str__(self) -> str:
        return f"weekday {self.weekday} {self.start_time:%H:%M}–{self.end_time:%H:%M}"


class DateException(models.Model):
    """A change to one date of the weekly pattern, in the reader's local time: a day off, or extra hours."""

    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="date_exceptions")
    date = models.DateField()
    kind = models.CharField(max_length=8, choices=ExceptionKind.choices)
    start_time = models.TimeField(null=True, blank=True)
    end_time = models.TimeField(null=True, blank=True)

    class Meta:
        ordering = ["date", "start_time"]
        indexes = [models.Index(fields=["reader", "date"], name="date_exception_reader_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ExceptionKind.values), name="date_exception_kind_valid"),
            models.CheckConstraint(
                condition=Q(kind=ExceptionKind.DAY_OFF, start_time__isnull=True, end_time__isnull=True)
                | Q(kind=ExceptionKind.EXTRA_HOURS, start_time__isnull=False, end_time__isnull=False),
                name="date_exception_times_match_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.date}"


class TimeBlock(models.Model):
    """A one-off absence: no slot starts or runs inside [starts_at, ends_at)."""

    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="time_blocks")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["reader", "ends_at"], name="time_block_reader_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="time_block_ends_after_start")
        ]

    def __str__(self) -> str:
        return f"blocked {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%Y-%m-%d %H:%M} UTC"


class Booking(models.Model):
    """A flat-rate reading booked for [starts_at, ends_at), paid at booking into hold:booking:<id>."""

    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="client_bookings")
    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reader_bookings")
    modality = models.CharField(max_length=8, choices=Modality.choices)
    duration_minutes = models.PositiveSmallIntegerField()
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=BookingStatus.choices, default=BookingStatus.CONFIRMED)

    # Price and policy as they were when the client confirmed.
    rate_amount = models.DecimalField("rate per minute", **MONEY)
    price_amount = models.DecimalField(**MONEY)
    reader_rate = models.DecimalField("reader share", max_digits=5, decimal_places=4, default=Decimal("0.7000"))
    policy = models.JSONField(default=dict)
    client_timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    reader_timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    intake_note = models.TextField(max_length=1000, blank=True)
    idempotency_key = models.CharField(max_length=64)

    created_at = models.DateTimeField(default=timezone.now)
    reschedule_count = models.PositiveSmallIntegerField(default=0)
    # Calendar invites: the SEQUENCE of the event's latest version (RFC 5545), raised on every change.
    ics_sequence = models.PositiveIntegerField(default=0)
    reminder_day_sent_at = models.DateTimeField(null=True, blank=True)
    reminder_soon_sent_at = models.DateTimeField(null=True, blank=True)

    # Attendance: when each side first joined the room.
    client_joined_at = models.DateTimeField(null=True, blank=True)
    reader_joined_at = models.DateTimeField(null=True, blank=True)
    # The pay-per-minute app's reading that serves as the room (its id only: no cross-app foreign key).
    reading_id = models.BigIntegerField(null=True, blank=True)

    # How it ended.
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.CharField(max_length=8, choices=CancelledBy.choices, blank=True)
    cancel_reason = models.CharField(max_length=500, blank=True)
    no_show_party = models.CharField(max_length=8, choices=NoShowParty.choices, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    refund_amount = models.DecimalField(null=True, blank=True, **MONEY)
    reader_share_amount = models.DecimalField(null=True, blank=True, **MONEY)
    platform_share_amount = models.DecimalField(null=True, blank=True, **MONEY)

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["reader", "starts_at"], name="booking_reader_start_idx"),
            models.Index(fields=["client", "-starts_at"], name="booking_client_idx"),
            models.Index(
                fields=["starts_at"],
                condition=Q(status__in=sorted(ACTIVE_BOOKING_STATUSES)),
                name="booking_due_idx",
            ),
        ]
        constraints = [
            # Two bookings never hold overlapping time of one reader: the database decides a race (btree_gist).
            ExclusionConstraint(
                name="booking_no_overlap",
                expressions=[
                    ("reader", RangeOperators.EQUAL),
                    (TsTzRange("starts_at", "ends_at", RangeBoundary()), RangeOperators.OVERLAPS),
                ],
                condition=Q(status__in=sorted(ACTIVE_BOOKING_STATUSES)),
            ),
            models.UniqueConstraint(fields=["client", "idempotency_key"], name="booking_idempotency_key_unique"),
            models.CheckConstraint(condition=~Q(client=F("reader")), name="booking_not_self"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="booking_ends_after_start"),
            models.CheckConstraint(
                condition=Q(duration_minutes__in=list(DURATION_CHOICES)), name="booking_duration_known"
            ),
            models.CheckConstraint(condition=Q(status__in=BookingStatus.values), name="booking_status_valid"),
            models.CheckConstraint(
                condition=Q(price_amount=F("rate_amount") * F("duration_minutes")), name="booking_price_matches_rate"
            ),
            models.CheckConstraint(condition=Q(rate_amount__gt=0), name="booking_rate_positive"),
            models.CheckConstraint(
                condition=Q(reader_rate__gte=0, reader_rate__lte=1), name="booking_reader_rate_range"
            ),
        ]

    def __str__(self) -> str:
        return f"booking {self.pk} ({self.get_status_display()})"


class BookingInvite(models.Model):
    """One party's email with the calendar invite of one version (SEQUENCE) of a booking.

    Recorded in the transaction that changed the booking, sent once by the outbox handler
    ``scheduling.booking_invite_send``, which stamps ``sent_at`` (or ``skipped_reason`` when a later version
    superseded it before it left)."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="invites")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=16, choices=BookingEvent.choices)
    sequence = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    skipped_reason = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["booking", "sequence", "recipient"]
        constraints = [
            models.UniqueConstraint(
                fields=["booking", "recipient", "sequence"], name="booking_invite_once_per_version"
            ),
            models.CheckConstraint(
                condition=Q(event__in=[BookingEvent.CREATED, BookingEvent.RESCHEDULED, BookingEvent.CANCELLED]),
                name="booking_invite_event_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} invite v{self.sequence} of booking {self.booking_id} to user {self.recipient_id}"
