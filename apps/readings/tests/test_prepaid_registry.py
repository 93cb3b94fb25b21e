"""The prepaid subjects registry: bad entries are refused at start-up, unknown types when a reading opens."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from apps.accounts.tests.factories import UserFactory
from apps.readings import prepaid
from apps.readings.models import ReadingSession
from apps.readings.services.prepaid import reading_open_prepaid
from apps.readings.tests.helpers import make_reader


def _on_finished(*, reading):  # pragma: no cover - never called here
    raise AssertionError


@pytest.mark.parametrize("subject_type", ["", "Booking", "a", "booking-type", "x" * 40])
def test_prepaid_subject_register_refuses_a_malformed_type(subject_type):
    with pytest.raises(ImproperlyConfigured):
        prepaid.prepaid_subject_register(subject_type, on_finished=_on_finished)


def test_prepaid_subject_register_refuses_a_second_registration_and_a_missing_callback():
    # given: scheduling registered "booking" at start-up
    assert "booking" in prepaid.prepaid_subject_types()
    # when / then
    with pytest.raises(ImproperlyConfigured, match="twice"):
        prepaid.prepaid_subject_register("booking", on_finished=_on_finished)
    with pytest.raises(ImproperlyConfigured, match="callable"):
        prepaid.prepaid_subject_register("gift_card", on_finished=None)  # type: ignore[arg-type]
    assert "gift_card" not in prepaid.prepaid_subject_types()


@pytest.mark.django_db
def test_reading_open_prepaid_for_an_unknown_subject_type_raises_and_writes_nothing():
    client, reader = UserFactory(), make_reader()
    with pytest.raises(LookupError), transaction.atomic():
        reading_open_prepaid(
            client=client,
            reader=reader,
            modality="text",
            ends_at=timezone.now() + timedelta(minutes=30),
            subject_type="voucher",
            subject_id=1,
            amount=Decimal("10.00"),
            rate_amount=Decimal("1.00"),
            reader_rate=Decimal("0.70"),
            joining=client,
        )
    assert not ReadingSession.objects.exists()
