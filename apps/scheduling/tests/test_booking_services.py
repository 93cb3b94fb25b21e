"""A client books a slot: the price moves from the wallet into the booking's hold in the same transaction, the
terms are snapshotted, and every refusal leaves nothing written."""

from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from apps.accounts.tests.factories import UserFactory
from apps.core.exceptions import InvalidInputError, InvalidStateError, NotFound, RateLimitedError
from apps.core.models import AuditLog
from apps.scheduling.constants import CANCELLATION_POLICY
from apps.scheduling.enums import BookingStatus
from apps.scheduling.models import Booking, ReaderSchedule, TimeBlock
from apps.scheduling.services.booking import BOOKINGS_PER_HOUR, SlotTaken, SlotUnavailable, booking_create
from apps.scheduling.tests.factories import ReaderScheduleFactory, weekly_windows
from apps.wallet.enums import TransactionKind
from apps.wallet.exceptions import IdempotencyConflict, InsufficientFunds
from apps.wallet.models import Transaction
from apps.wallet.selectors import wallet_balance
from apps.wallet.services.holds import hold_find
from tests.support.money import top_up

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()


def soon(days: int = 2, hour: int = 10):
    return (timezone.now() + timedelta(days=days)).astimezone(UTC).replace(hour=hour, minute=0, second=0, microsecond=0)


def bookable_reader(**schedule):
    """A London reader at $2.00/min, open all day every day, no notice."""
    schedule = ReaderScheduleFactory(**schedule)
    weekly_windows(schedule.reader, start=timezone.datetime.min.time(), end=timezone.datetime.min.time())
    return schedule.reader


def book(client, reader, starts_at, *, key="k1", duration=30, modality="text"):
    return booking_create(
        client=client,
        reader_id=reader.pk,
        starts_at=starts_at,
        duration_minutes=duration,
        modality=modality,
        idempotency_key=key,
    )


def test_booking_create_moves_the_price_into_the_hold_and_snapshots_the_terms():
    # given a client in Los Angeles with $100
    reader = bookable_reader()
    client = UserFactory(timezone="America/Los_Angeles")
    top_up(client, "100.00")
    starts_at = soon()
    # when a 45-minute chat reading
    booking = booking_create(
        client=client,
        reader_id=reader.pk,
        starts_at=starts_at,
        duration_minutes=45,
        modality="text",
        idempotency_key="confirm-1",
        intake_note="  About my career  ",
    )
    # then
    assert booking.status == BookingStatus.CONFIRMED
    assert (booking.starts_at, booking.ends_at) == (starts_at, starts_at + timedelta(minutes=45))
    assert (booking.rate_amount, booking.price_amount, booking.reader_rate) == (
        Decimal("2.00"),
        Decimal("90.00"),
        Decimal("0.7000"),
    )
    assert booking.policy == CANCELLATION_POLICY
    assert (booking.client_timezone, booking.reader_timezone) == ("America/Los_Angeles", "Europe/London")
    assert booking.intake_note == "About my career"
    assert wallet_balance(user=client) == Decimal("10.00")
    assert hold_find("booking", booking.pk).balance == Decimal("90.00")
    txn = Transaction.objects.get(subject_type="booking", subject_id=booking.pk)
    assert (txn.kind, txn.idempotency_key, txn.booking_id) == (
        TransactionKind.BOOKING,
        f"booking:{booking.pk}:fund",
        booking.pk,
    )
    assert AuditLog.objects.filter(
        action="scheduling.booking_created", actor=client, target_id=str(booking.pk)
    ).exists()
    call_command("ledger_check")


def test_booking_create_same_key_again_returns_the_first_booking_and_charges_once():
    # given
    reader = bookable_reader()
    client = UserFactory()
    top_up(client, "100.00")
    first = book(client, reader, soon())
    # when
    again = book(client, reader, soon())
    # then
    assert again.pk == first.pk
    assert Booking.objects.count() == 1 and wallet_balance(user=client) == Decimal("40.00")
    with pytest.raises(IdempotencyConflict):
        book(client, reader, soon(hour=12))


def test_booking_create_unfunded_wallet_is_refused_with_nothing_written():
    # given $59.99 for a $60.00 reading
    reader = bookable_reader()
    client = UserFactory()
    top_up(client, "59.99")
    # when / then
    with pytest.raises(InsufficientFunds, match=r"costs \$60.00; your wallet holds \$59.99. Add funds"):
        book(client, reader, soon())
    assert not Booking.objects.exists()
    assert wallet_balance(user=client) == Decimal("59.99")


def test_booking_create_overlapping_an_existing_booking_says_just_taken():
    # given
    reader = bookable_reader()
    first, second = UserFactory(), UserFactory()
    top_up(first, "100.00")
    top_up(second, "100.00")
    book(first, reader, soon())
    # when / then
    with pytest.raises(SlotTaken, match=r"That time was just taken — please pick another slot\."):
        book(second, reader, soon() + timedelta(minutes=15), key="k2")
    assert wallet_balance(user=second) == Decimal("100.00")
    assert Booking.objects.count() == 1


def test_booking_create_when_only_the_database_sees_the_clash_it_still_says_just_taken(monkeypatch):
    # given a booking, and a slot check that (wrongly) sees the time as open: the exclusion constraint decides
    reader = bookable_reader()
    first, second = UserFactory(), UserFactory()
    top_up(first, "100.00")
    top_up(second, "100.00")
    book(first, reader, soon())
    monkeypatch.setattr("apps.scheduling.services.booking.slot_is_open", lambda **kwargs: True)
    # when / then
    with pytest.raises(SlotTaken):
        book(second, reader, soon() + timedelta(minutes=15), key="k2")
    assert wallet_balance(user=second) == Decimal("100.00")
    assert Booking.objects.count() == 1
    call_command("ledger_check")


def test_booking_create_outside_availability_or_inside_notice_or_blocked_is_not_open():
    # given a reader open 09:00–17:00 London with 12 hours' notice
    schedule = ReaderScheduleFactory(min_notice_minutes=12 * 60)
    weekly_windows(schedule.reader)
    client = UserFactory()
    top_up(client, "500.00")
    tomorrow_noon_london = soon(days=3, hour=11)  # 12:00 BST or 11:00 GMT: inside the window either way
    TimeBlock.objects.create(
        reader=schedule.reader, starts_at=tomorrow_noon_london, ends_at=tomorrow_noon_london + timedelta(hours=1)
    )
    # when / then
    for starts_at in (
        soon(hour=2),
        tomorrow_noon_london,
        timezone.now() + timedelta(hours=1),
        soon() + timedelta(minutes=7),
    ):
        with pytest.raises(SlotUnavailable):
            book(client, schedule.reader, starts_at.replace(second=0, microsecond=0), key=f"k{starts_at.timestamp()}")
    assert not Booking.objects.exists()


def test_booking_create_refusals_for_self_unknown_reader_not_accepting_bad_duration_and_modality():
    # given
    reader = bookable_reader(durations=[30])
    client = UserFactory()
    top_up(client, "500.00")
    # when / then
    with pytest.raises(InvalidInputError, match="with yourself"):
        book(reader, reader, soon())
    with pytest.raises(NotFound):
        book(client, UserFactory(), soon())
    with pytest.raises(InvalidInputError, match="durations this reader offers"):
        book(client, reader, soon(), duration=60)
    with pytest.raises(InvalidInputError, match="kinds of reading"):
        book(client, reader, soon(), modality="video")  # no Agora here, and no video rate
    ReaderSchedule.objects.filter(reader=reader).update(is_accepting=False)
    with pytest.raises(InvalidStateError, match="not taking bookings"):
        book(client, reader, soon())
    ReaderSchedule.objects.filter(reader=reader).update(is_accepting=True)
    reader.reader_profile.scheduled_rate_amount = None
    reader.reader_profile.save(update_fields=["scheduled_rate_amount"])
    with pytest.raises(InvalidStateError, match="not set a price"):
        book(client, reader, soon())
    assert not Booking.objects.exists()
    assert wallet_balance(user=client) == Decimal("500.00")


def test_booking_create_is_rate_limited_per_client():
    # given a client who booked the most allowed in an hour
    reader = bookable_reader()
    client = UserFactory()
    top_up(client, "10000.00")
    for index in range(BOOKINGS_PER_HOUR):
        book(client, reader, soon(hour=0) + timedelta(hours=index), key=f"k{index}", duration=15)
    # when / then
    with pytest.raises(RateLimitedError):
        book(client, reader, soon(hour=0) + timedelta(hours=20), key="one-more", duration=15)
    assert Booking.objects.count() == BOOKINGS_PER_HOUR
