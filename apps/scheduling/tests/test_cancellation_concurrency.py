"""Cancels racing over separate database connections: one wins, the money moves once, the ledger stays clean."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.accounts.tests.factories import AdminFactory, UserFactory
from apps.core.exceptions import InvalidStateError
from apps.core.models import AuditLog
from apps.scheduling.enums import BookingStatus, CancelledBy
from apps.scheduling.models import Booking
from apps.scheduling.services.cancellation import (
    booking_cancel_by_admin,
    booking_cancel_by_client,
    booking_cancel_by_reader,
    booking_reschedule,
)
from apps.scheduling.tests.factories import ReaderScheduleFactory, booking_funded, weekly_windows
from apps.wallet.enums import TransactionKind
from apps.wallet.models import Transaction
from apps.wallet.selectors import balance_of
from apps.wallet.services.holds import hold_find
from apps.wallet.services.ledger import earnings_account, wallet_account
from tests.support.money import top_up
from tests.support.racing import race

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def booked():
    """$60.00 held for a reading 10 hours ahead (the half-refund window); $40.00 left in the wallet."""
    reader = ReaderScheduleFactory().reader
    client = UserFactory()
    top_up(client, "100.00")
    return booking_funded(client=client, reader=reader, starts_at=timezone.now() + timedelta(hours=10))


def _refunds(booking) -> int:
    return Transaction.objects.filter(
        subject_type="booking", subject_id=booking.pk, kind=TransactionKind.BOOKING_REFUND
    ).count()


def test_booking_cancel_client_racing_reader_one_wins_and_the_money_moves_once(booked):
    # when
    outcomes = race(
        lambda: booking_cancel_by_client(client=booked.client, booking_id=booked.pk),
        lambda: booking_cancel_by_reader(reader=booked.reader, booking_id=booked.pk),
    )
    # then: exactly one cancel went through; the other was told the booking is already cancelled
    winners = [outcome for outcome in outcomes if isinstance(outcome, Booking)]
    losers = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert len(winners) == 1
    assert len(losers) == 1 and isinstance(losers[0], InvalidStateError)
    booking = Booking.objects.get(pk=booked.pk)
    assert booking.status == BookingStatus.CANCELLED
    assert _refunds(booking) == 1
    expected_wallet = {CancelledBy.CLIENT: "70.00", CancelledBy.READER: "100.00"}[booking.cancelled_by]
    assert balance_of(wallet_account(booked.client)) == Decimal(expected_wallet)
    assert hold_find("booking", booking.pk).balance == Decimal("0.00")
    assert AuditLog.objects.filter(action="scheduling.booking_cancelled").count() == 1
    call_command("ledger_check")


def test_booking_cancel_two_client_cancels_racing_refund_once(booked):
    # when
    outcomes = race(
        lambda: booking_cancel_by_client(client=booked.client, booking_id=booked.pk),
        lambda: booking_cancel_by_client(client=booked.client, booking_id=booked.pk),
    )
    # then: both answer with the cancelled booking; the client got half back once
    assert all(isinstance(outcome, Booking) for outcome in outcomes), outcomes
    assert {outcome.refund_amount for outcome in outcomes} == {Decimal("30.00")}
    assert _refunds(booked) == 1
    assert balance_of(wallet_account(booked.client)) == Decimal("70.00")
    assert balance_of(earnings_account(booked.reader)) == Decimal("21.00")
    assert hold_find("booking", booked.pk).balance == Decimal("0.00")
    call_command("ledger_check")


def test_booking_cancel_admin_racing_client_and_reader_refund_once(booked):
    # given
    admin = AdminFactory()
    # when
    race(
        lambda: booking_cancel_by_admin(admin=admin, booking_id=booked.pk, reason="Duplicate booking"),
        lambda: booking_cancel_by_client(client=booked.client, booking_id=booked.pk),
        lambda: booking_cancel_by_reader(reader=booked.reader, booking_id=booked.pk),
    )
    # then
    assert _refunds(booked) == 1
    assert Booking.objects.get(pk=booked.pk).status == BookingStatus.CANCELLED
    assert hold_find("booking", booked.pk).balance == Decimal("0.00")
    call_command("ledger_check")


def test_booking_reschedule_racing_a_cancel_leaves_one_consistent_outcome():
    # given: a booking three days ahead, open hours every day
    reader = ReaderScheduleFactory(timezone="UTC").reader
    weekly_windows(reader)
    client = UserFactory()
    top_up(client, "100.00")
    start = (timezone.now() + timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
    booking = booking_funded(client=client, reader=reader, starts_at=start)
    # when
    outcomes = race(
        lambda: booking_reschedule(client=client, booking_id=booking.pk, starts_at=start + timedelta(hours=3)),
        lambda: booking_cancel_by_client(client=client, booking_id=booking.pk),
    )
    # then: the cancel always goes through (a full refund, 3 days ahead); the move either came first or was refused
    assert isinstance(outcomes[1], Booking)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert booking.refund_amount == Decimal("60.00")
    assert balance_of(wallet_account(client)) == Decimal("100.00")
    if isinstance(outcomes[0], Exception):
        assert isinstance(outcomes[0], InvalidStateError)
        assert booking.starts_at == start
    call_command("ledger_check")


def test_booking_reschedule_racing_a_new_booking_of_the_same_time_one_holds_it():
    # given: a booking three days ahead; another client books 15:00 at the instant the first moves there
    reader = ReaderScheduleFactory(timezone="UTC").reader
    weekly_windows(reader)
    client, rival = UserFactory(), UserFactory()
    top_up(client, "100.00")
    top_up(rival, "100.00")
    start = (timezone.now() + timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
    booking = booking_funded(client=client, reader=reader, starts_at=start)
    wanted = start + timedelta(hours=5)
    # when
    moved, booked = race(
        lambda: booking_reschedule(client=client, booking_id=booking.pk, starts_at=wanted),
        lambda: booking_funded(client=rival, reader=reader, starts_at=wanted),
    )
    # then: exactly one of them holds 15:00; the loser changed nothing and moved no money
    holders = Booking.objects.filter(reader=reader, starts_at=wanted, status=BookingStatus.CONFIRMED)
    assert holders.count() == 1
    booking.refresh_from_db()
    if isinstance(moved, Booking):
        assert isinstance(booked, Exception)
        assert booking.starts_at == wanted
        assert balance_of(wallet_account(rival)) == Decimal("100.00")
    else:
        assert isinstance(moved, InvalidStateError)
        assert (booking.starts_at, booking.reschedule_count) == (start, 0)
    call_command("ledger_check")
