"""Factories and set-up helpers of the scheduling tests."""

from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

import factory
from django.db import transaction

from apps.readers.tests.factories import ReaderProfileFactory
from apps.scheduling.constants import BOOKING_SUBJECT, CANCELLATION_POLICY, DURATION_CHOICES
from apps.scheduling.enums import Modality
from apps.scheduling.models import Booking, ReaderSchedule, WeeklyWindow
from apps.wallet.enums import TransactionKind
from apps.wallet.services.holds import hold_fund


class ReaderScheduleFactory(factory.django.DjangoModelFactory):
    """A bookable reader: published profile with a scheduled rate of $2.00/min, taking bookings in London."""

    class Meta:
        model = ReaderSchedule

    reader = factory.LazyFunction(lambda: ReaderProfileFactory(scheduled_rate_amount=Decimal("2.00")).user)
    timezone = "Europe/London"
    is_accepting = True
    durations = factory.LazyFunction(lambda: list(DURATION_CHOICES))
    min_notice_minutes = 0


def weekly_windows(reader: Any, *, start: time = time(9), end: time = time(17), weekdays=range(7)) -> None:
    """The same window on every given weekday, in the reader's own timezone."""
    WeeklyWindow.objects.bulk_create(
        WeeklyWindow(reader=reader, weekday=day, start_time=start, end_time=end) for day in weekdays
    )


def booking_funded(
    *,
    client: Any,
    reader: Any,
    starts_at: datetime,
    duration_minutes: int = 30,
    rate_amount: Decimal = Decimal("2.00"),
    modality: str = Modality.VIDEO,
    **fields: Any,
) -> Booking:
    """A confirmed booking with its price held, written directly (as the booking service would) for tests of
    what happens after booking. The client's wallet must hold the price."""
    fields.setdefault("idempotency_key", f"test:{starts_at.isoformat()}:{client.pk}")
    with transaction.atomic():
        booking = Booking.objects.create(
            client=client,
            reader=reader,
            modality=modality,
            duration_minutes=duration_minutes,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=duration_minutes),
            rate_amount=rate_amount,
            price_amount=rate_amount * duration_minutes,
            policy=dict(CANCELLATION_POLICY),
            **fields,
        )
        hold_fund(
            subject_type=BOOKING_SUBJECT,
            subject_id=booking.pk,
            payer=client,
            amount=booking.price_amount,
            kind=TransactionKind.BOOKING,
            booking_id=booking.pk,
        )
    return booking
