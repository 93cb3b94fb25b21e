from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.tests.factories import UserFactory
from apps.scheduling.enums import BookingStatus
from apps.scheduling.tests.factories import ReaderScheduleFactory, booking_funded
from apps.wallet.services.holds import hold_find
from tests.support.money import top_up

pytestmark = pytest.mark.django_db


def test_booking_overlapping_an_active_booking_of_the_same_reader_is_refused_by_the_database():
    # given
    reader = ReaderScheduleFactory().reader
    first, second = UserFactory(), UserFactory()
    top_up(first, "100.00")
    top_up(second, "100.00")
    start = timezone.now() + timedelta(days=2)
    booked = booking_funded(client=first, reader=reader, starts_at=start)
    # when / then: 15 minutes into the first booking
    with pytest.raises(IntegrityError, match="booking_no_overlap"), transaction.atomic():
        booking_funded(client=second, reader=reader, starts_at=start + timedelta(minutes=15))
    assert hold_find("booking", booked.pk).balance == Decimal("60.00")


def test_booking_may_reuse_the_time_of_a_cancelled_booking_and_start_where_another_ends():
    # given
    reader = ReaderScheduleFactory().reader
    client = UserFactory()
    top_up(client, "200.00")
    start = timezone.now() + timedelta(days=2)
    cancelled = booking_funded(client=client, reader=reader, starts_at=start)
    type(cancelled).objects.filter(pk=cancelled.pk).update(status=BookingStatus.CANCELLED)
    # when
    adjacent = booking_funded(client=client, reader=reader, starts_at=start + timedelta(minutes=30))
    same_time = booking_funded(client=client, reader=reader, starts_at=start, idempotency_key="again")
    # then
    assert adjacent.status == same_time.status == BookingStatus.CONFIRMED
