"""Cancelling a booking: the refund of every window, who may cancel, the hold left at zero, audit and notices."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command

from apps.accounts.tests.factories import AdminFactory, UserFactory
from apps.core.exceptions import InvalidInputError, InvalidStateError, NotFound, PermissionDeniedError
from apps.core.models import AuditLog
from apps.notifications.models import Notification
from apps.scheduling.enums import BookingEvent, BookingStatus, CancelledBy
from apps.scheduling.models import Booking
from apps.scheduling.notify import KINDS
from apps.scheduling.services.cancellation import (
    booking_cancel_by_admin,
    booking_cancel_by_client,
    booking_cancel_by_reader,
    booking_refund_quote,
)
from apps.scheduling.tests.factories import ReaderScheduleFactory, booking_funded
from apps.wallet.enums import TransactionKind
from apps.wallet.models import Transaction
from apps.wallet.selectors import balance_of
from apps.wallet.services.holds import hold_find
from apps.wallet.services.ledger import earnings_account, wallet_account
from tests.support.money import top_up

KIND_CANCELLED = KINDS[BookingEvent.CANCELLED]

pytestmark = pytest.mark.django_db

START = datetime(2026, 12, 20, 15, 0, tzinfo=UTC)


@pytest.fixture
def booked():
    """A client who paid $60.00 (30 minutes at $2.00) for a reading at START; $40.00 left in the wallet."""
    reader = ReaderScheduleFactory().reader
    reader.timezone = "Europe/London"
    reader.save(update_fields=["timezone"])
    client = UserFactory(timezone="America/Los_Angeles")
    top_up(client, "100.00")
    booking = booking_funded(client=client, reader=reader, starts_at=START)
    return booking


def _wallet(user) -> Decimal:
    return balance_of(wallet_account(user))


def _earnings(user) -> Decimal:
    return balance_of(earnings_account(user))


def _hold(booking) -> Decimal:
    return hold_find("booking", booking.pk).balance


# --- the quote (pure) -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before_start", "refund", "reader_share", "platform_share"),
    [
        (timedelta(days=3), "60.00", "0.00", "0.00"),
        (timedelta(hours=24), "60.00", "0.00", "0.00"),  # exactly 24 h: still the full refund
        (timedelta(hours=24) - timedelta(seconds=1), "30.00", "21.00", "9.00"),
        (timedelta(hours=10), "30.00", "21.00", "9.00"),
        (timedelta(hours=2), "30.00", "21.00", "9.00"),  # exactly 2 h: still half
        (timedelta(hours=2) - timedelta(seconds=1), "0.00", "42.00", "18.00"),
        (timedelta(minutes=5), "0.00", "42.00", "18.00"),
    ],
)
def test_booking_refund_quote_client_each_window_follows_the_policy(
    booked, before_start, refund, reader_share, platform_share
):
    # given / when
    quote = booking_refund_quote(booking=booked, by=CancelledBy.CLIENT, at=START - before_start)
    # then
    assert quote.refund_amount == Decimal(refund)
    assert quote.reader_share_amount == Decimal(reader_share)
    assert quote.platform_share_amount == Decimal(platform_share)
    assert quote.refund_amount + quote.reader_share_amount + quote.platform_share_amount == booked.price_amount


@pytest.mark.parametrize("by", [CancelledBy.READER, CancelledBy.ADMIN])
def test_booking_refund_quote_reader_or_admin_is_always_full(booked, by):
    # given / when: even five minutes before the start
    quote = booking_refund_quote(booking=booked, by=by, at=START - timedelta(minutes=5))
    # then
    assert (quote.refund_amount, quote.kept_amount, quote.refund_percent) == (Decimal("60.00"), Decimal("0.00"), 100)


def test_booking_refund_quote_reads_the_policy_snapshot_not_todays_policy(booked):
    # given: this booking was made under a stricter policy (48 h / 6 h, a quarter back)
    booked.policy = {**booked.policy, "full_refund_before_hours": 48, "half_refund_before_hours": 6}
    booked.policy["half_refund_share"] = "0.25"
    # when
    at_30h = booking_refund_quote(booking=booked, by=CancelledBy.CLIENT, at=START - timedelta(hours=30))
    at_5h = booking_refund_quote(booking=booked, by=CancelledBy.CLIENT, at=START - timedelta(hours=5))
    # then
    assert at_30h.refund_amount == Decimal("15.00")
    assert at_5h.refund_amount == Decimal("0.00")


def test_booking_refund_quote_odd_cent_rounds_the_refund_half_up_and_splits_the_rest():
    # given: 15 minutes at $0.33 = $4.95; half is $2.475
    reader = ReaderScheduleFactory().reader
    client = UserFactory()
    top_up(client, "10.00")
    booking = booking_funded(
        client=client, reader=reader, starts_at=START, duration_minutes=15, rate_amount=Decimal("0.33")
    )
    # when
    quote = booking_refund_quote(booking=booking, by=CancelledBy.CLIENT, at=START - timedelta(hours=3))
    # then: $2.48 back, $2.47 kept: floor(2.47 × 0.70) = 1.72 to the reader, 0.75 to the platform
    assert (quote.refund_amount, quote.reader_share_amount, quote.platform_share_amount) == (
        Decimal("2.48"),
        Decimal("1.72"),
        Decimal("0.75"),
    )


# --- the client cancels -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before_start", "wallet_after", "earnings_after"),
    [
        (timedelta(hours=30), "100.00", "0.00"),
        (timedelta(hours=24), "100.00", "0.00"),
        (timedelta(hours=10), "70.00", "21.00"),
        (timedelta(hours=2), "70.00", "21.00"),
        (timedelta(hours=1), "40.00", "42.00"),
    ],
)
def test_booking_cancel_by_client_moves_the_quoted_money_and_empties_the_hold(
    booked, before_start, wallet_after, earnings_after
):
    # given
    at = START - before_start
    # when
    booking = booking_cancel_by_client(client=booked.client, booking_id=booked.pk, at=at)
    # then
    assert booking.status == BookingStatus.CANCELLED
    assert booking.cancelled_by == CancelledBy.CLIENT
    assert booking.cancelled_at == booking.finished_at == at
    assert _wallet(booked.client) == Decimal(wallet_after)
    assert _earnings(booked.reader) == Decimal(earnings_after)
    assert booking.refund_amount == Decimal(wallet_after) - Decimal("40.00")
    assert booking.reader_share_amount == Decimal(earnings_after)
    assert booking.refund_amount + booking.reader_share_amount + booking.platform_share_amount == Decimal("60.00")
    assert _hold(booking) == Decimal("0.00")
    call_command("ledger_check")


def test_booking_cancel_by_client_refund_is_a_booking_refund_keyed_on_the_booking(booked):
    # when
    booking_cancel_by_client(client=booked.client, booking_id=booked.pk, at=START - timedelta(hours=10))
    # then
    refund = Transaction.objects.get(idempotency_key=f"booking:{booked.pk}:refund")
    kept = Transaction.objects.get(idempotency_key=f"booking:{booked.pk}:cancel_settlement")
    assert refund.kind == TransactionKind.BOOKING_REFUND
    assert (refund.subject_type, refund.subject_id) == ("booking", booked.pk)
    assert kept.kind == TransactionKind.BOOKING


def test_booking_cancel_by_client_twice_refunds_once(booked):
    # given
    booking_cancel_by_client(client=booked.client, booking_id=booked.pk, at=START - timedelta(hours=10))
    # when: a second click, later still
    again = booking_cancel_by_client(client=booked.client, booking_id=booked.pk, at=START - timedelta(hours=1))
    # then: the first result stands
    assert again.refund_amount == Decimal("30.00")
    assert _wallet(booked.client) == Decimal("70.00")
    assert Transaction.objects.filter(subject_type="booking", subject_id=booked.pk).count() == 3  # fund, refund, kept
    assert AuditLog.objects.filter(action="scheduling.booking_cancelled").count() == 1


def test_booking_cancel_by_client_after_the_start_is_refused_with_nothing_changed(booked):
    # when / then
    with pytest.raises(InvalidStateError, match="already started"):
        booking_cancel_by_client(client=booked.client, booking_id=booked.pk, at=START)
    booked.refresh_from_db()
    assert booked.status == BookingStatus.CONFIRMED
    assert _hold(booked) == Decimal("60.00")


def test_booking_cancel_by_client_of_someone_elses_booking_is_not_found(booked):
    # given
    stranger = UserFactory()
    # when / then: another client, and the booking's own reader through the client's door
    for user in (stranger, booked.reader):
        with pytest.raises(NotFound):
            booking_cancel_by_client(client=user, booking_id=booked.pk, at=START - timedelta(days=2))
    assert _hold(booked) == Decimal("60.00")


def test_booking_cancel_by_client_refund_changed_since_shown_is_refused(booked):
    # given: the page quoted the full refund, but the 24 h boundary has passed since
    at = START - timedelta(hours=23)
    # when / then
    with pytest.raises(InvalidStateError, match=r"now \$30.00"):
        booking_cancel_by_client(client=booked.client, booking_id=booked.pk, expected_refund=Decimal("60.00"), at=at)
    assert _hold(booked) == Decimal("60.00")
    # and with the amount now shown it goes through
    booking = booking_cancel_by_client(
        client=booked.client, booking_id=booked.pk, expected_refund=Decimal("30.00"), at=at
    )
    assert booking.refund_amount == Decimal("30.00")


def test_booking_cancel_by_client_audits_and_tells_the_reader(booked):
    # when
    booking_cancel_by_client(client=booked.client, booking_id=booked.pk, at=START - timedelta(hours=10))
    # then
    entry = AuditLog.objects.get(action="scheduling.booking_cancelled")
    assert entry.actor == booked.client
    assert entry.target_id == str(booked.pk)
    assert entry.details["by"] == "client"
    assert entry.details["refund"] == "30.00"
    notice = Notification.objects.get(kind=KIND_CANCELLED, user=booked.reader)
    assert "$21.00" in notice.body
    assert "Europe/London" in notice.body  # the reader's own zone
    told_client = Notification.objects.get(kind=KIND_CANCELLED, user=booked.client)
    assert "$30.00 of the $60.00 is back in your wallet" in told_client.body


# --- the reader cancels -----------------------------------------------------------------------------------------


def test_booking_cancel_by_reader_refunds_everything_even_late(booked):
    # when: 30 minutes before the start
    booking = booking_cancel_by_reader(
        reader=booked.reader, booking_id=booked.pk, reason="  Unwell today. ", at=START - timedelta(minutes=30)
    )
    # then
    assert booking.cancelled_by == CancelledBy.READER
    assert booking.cancel_reason == "Unwell today."
    assert booking.refund_amount == Decimal("60.00")
    assert booking.reader_share_amount == booking.platform_share_amount == Decimal("0.00")
    assert _wallet(booked.client) == Decimal("100.00")
    assert _earnings(booked.reader) == Decimal("0.00")
    assert _hold(booking) == Decimal("0.00")
    notice = Notification.objects.get(kind=KIND_CANCELLED, user=booked.client)
    assert "America/Los_Angeles" in notice.body
    assert "The full $60.00 is back in your wallet" in notice.body
    assert AuditLog.objects.get(action="scheduling.booking_cancelled").actor == booked.reader
    call_command("ledger_check")


def test_booking_cancel_by_reader_of_another_readers_booking_is_not_found(booked):
    # given
    other_reader = ReaderScheduleFactory().reader
    # when / then
    with pytest.raises(NotFound):
        booking_cancel_by_reader(reader=other_reader, booking_id=booked.pk, at=START - timedelta(days=1))


def test_booking_cancel_by_reader_after_the_client_cancelled_is_refused(booked):
    # given
    booking_cancel_by_client(client=booked.client, booking_id=booked.pk, at=START - timedelta(hours=10))
    # when / then
    with pytest.raises(InvalidStateError, match="already cancelled by the client"):
        booking_cancel_by_reader(reader=booked.reader, booking_id=booked.pk, at=START - timedelta(hours=9))
    assert _wallet(booked.client) == Decimal("70.00")


# --- an admin cancels -------------------------------------------------------------------------------------------


def test_booking_cancel_by_admin_refunds_everything_audits_and_tells_both(booked):
    # given: the reading is under way
    admin = AdminFactory()
    Booking.objects.filter(pk=booked.pk).update(status=BookingStatus.IN_PROGRESS)
    # when
    booking = booking_cancel_by_admin(
        admin=admin, booking_id=booked.pk, reason="Reader reported a fraud attempt", at=START + timedelta(minutes=5)
    )
    # then
    assert (booking.status, booking.cancelled_by) == (BookingStatus.CANCELLED, CancelledBy.ADMIN)
    assert booking.refund_amount == Decimal("60.00")
    assert _wallet(booked.client) == Decimal("100.00")
    assert _hold(booking) == Decimal("0.00")
    entry = AuditLog.objects.get(action="scheduling.booking_cancelled")
    assert (entry.actor, entry.details["reason"]) == (admin, "Reader reported a fraud attempt")
    told = set(Notification.objects.filter(kind=KIND_CANCELLED).values_list("user_id", flat=True))
    assert told == {booked.client_id, booked.reader_id}
    call_command("ledger_check")


def test_booking_cancel_by_admin_without_a_reason_is_refused(booked):
    # when / then
    with pytest.raises(InvalidInputError, match="reason"):
        booking_cancel_by_admin(admin=AdminFactory(), booking_id=booked.pk, reason="   ")
    assert Booking.objects.get(pk=booked.pk).status == BookingStatus.CONFIRMED


def test_booking_cancel_by_admin_by_a_non_admin_is_refused(booked):
    # when / then
    with pytest.raises(PermissionDeniedError):
        booking_cancel_by_admin(admin=booked.client, booking_id=booked.pk, reason="I want my money")
    assert _hold(booked) == Decimal("60.00")


def test_booking_cancel_by_admin_of_a_finished_booking_is_refused(booked):
    # given
    booking_cancel_by_reader(reader=booked.reader, booking_id=booked.pk, at=START - timedelta(days=2))
    # when / then
    with pytest.raises(InvalidStateError, match="already cancelled by the reader"):
        booking_cancel_by_admin(admin=AdminFactory(), booking_id=booked.pk, reason="duplicate")
