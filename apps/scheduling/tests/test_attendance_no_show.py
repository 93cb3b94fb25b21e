"""No-shows 10 minutes after the start, and bookings whose time ran out: the sweep's money and its idempotence."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command

from apps.core.models import AuditLog
from apps.readings.enums import EndReason, SessionState
from apps.readings.models import ReadingSession
from apps.scheduling.enums import BookingStatus, NoShowParty
from apps.scheduling.models import Booking
from apps.scheduling.selectors_join import reader_no_shows
from apps.scheduling.services.attendance import booking_join, booking_no_show_sweep
from apps.scheduling.tests.attendance_helpers import WALLET, balance, booking_now, both_in_room
from apps.wallet.enums import TransactionKind
from apps.wallet.models import Transaction
from apps.wallet.services.holds import hold_find
from apps.wallet.services.ledger import transaction_post, wallet_account
from tests.support.racing import race_all_succeed

pytestmark = pytest.mark.django_db


def _after_cut_off(booking: Booking) -> object:
    return booking.starts_at + timedelta(minutes=10, seconds=1)


def test_sweep_reader_no_show_refunds_the_client_in_full_and_counts_on_the_reader():
    # given: the client came, the reader did not
    booking = booking_now(started_minutes_ago=2)
    booking_join(booking_id=booking.pk, user=booking.client)
    booking.refresh_from_db()
    # when
    result = booking_no_show_sweep(now=_after_cut_off(booking))
    # then
    booking.refresh_from_db()
    assert result.reader_no_shows == 1 and result.readings_ended == 1
    assert booking.status == BookingStatus.NO_SHOW and booking.no_show_party == NoShowParty.READER
    assert booking.refund_amount == booking.price_amount
    assert balance(f"wallet:{booking.client_id}") == WALLET
    assert balance(f"hold:booking:{booking.pk}") == Decimal("0.00")
    assert balance(f"earnings:{booking.reader_id}") == Decimal("0.00")
    assert list(reader_no_shows(reader_id=booking.reader_id)) == [booking]
    audit = AuditLog.objects.get(action="scheduling.booking_no_show", target_id=str(booking.pk))
    assert audit.details["no_show_party"] == "reader" and audit.details["refund"] == "60.00"
    # the room the client waited in is closed
    reading = ReadingSession.objects.get(pk=booking.reading_id)
    assert reading.state in (SessionState.ENDED, SessionState.FINALIZED)
    assert reading.end_reason == EndReason.NO_SHOW
    call_command("ledger_check")


def test_sweep_nobody_joined_is_a_reader_no_show_with_a_full_refund():
    # given
    booking = booking_now(started_minutes_ago=2)
    # when
    result = booking_no_show_sweep(now=_after_cut_off(booking))
    # then
    booking.refresh_from_db()
    assert result.reader_no_shows == 1 and result.readings_ended == 0
    assert booking.status == BookingStatus.NO_SHOW and booking.no_show_party == NoShowParty.BOTH
    assert balance(f"wallet:{booking.client_id}") == WALLET
    assert balance(f"hold:booking:{booking.pk}") == Decimal("0.00")
    assert list(reader_no_shows(reader_id=booking.reader_id)) == [booking]
    call_command("ledger_check")


def test_sweep_client_no_show_settles_the_price_to_the_reader():
    # given: the reader came, the client did not; an odd price
    booking = booking_now(started_minutes_ago=2, rate_amount=Decimal("1.99"), duration_minutes=15)
    booking_join(booking_id=booking.pk, user=booking.reader)
    # when
    result = booking_no_show_sweep(now=_after_cut_off(booking))
    # then: $29.85 → the reader floor($20.895) = $20.89, the platform $8.96; nothing back to the client
    booking.refresh_from_db()
    assert result.client_no_shows == 1
    assert booking.status == BookingStatus.NO_SHOW and booking.no_show_party == NoShowParty.CLIENT
    assert booking.refund_amount == Decimal("0.00")
    assert booking.reader_share_amount == Decimal("20.89") and booking.platform_share_amount == Decimal("8.96")
    assert balance(f"earnings:{booking.reader_id}") == Decimal("20.89")
    assert balance(f"wallet:{booking.client_id}") == WALLET - Decimal("29.85")
    assert balance(f"hold:booking:{booking.pk}") == Decimal("0.00")
    assert list(reader_no_shows(reader_id=booking.reader_id)) == []
    call_command("ledger_check")


def test_sweep_before_the_cut_off_changes_nothing():
    # given: a booking 9 minutes in with nobody there
    waiting = booking_now(started_minutes_ago=9)
    # when
    result = booking_no_show_sweep(now=waiting.starts_at + timedelta(minutes=9, seconds=59))
    # then
    assert result.reader_no_shows == result.client_no_shows == result.completed == 0
    waiting.refresh_from_db()
    assert waiting.status == BookingStatus.CONFIRMED
    assert balance(f"hold:booking:{waiting.pk}") == waiting.price_amount


def test_sweep_after_the_cut_off_leaves_a_booking_both_sides_joined():
    # given: both sides in the room
    attended = booking_now(started_minutes_ago=2)
    both_in_room(attended)
    # when
    result = booking_no_show_sweep(now=_after_cut_off(attended))
    # then
    assert result.reader_no_shows == result.client_no_shows == result.completed == 0
    attended.refresh_from_db()
    assert attended.status == BookingStatus.IN_PROGRESS
    assert balance(f"hold:booking:{attended.pk}") == attended.price_amount


def test_sweep_completes_a_booking_whose_time_ran_out_with_both_joined_and_no_reading_in_progress():
    # given: both joined, but never at the same time (the reading never started and was closed)
    booking = booking_now(started_minutes_ago=20, duration_minutes=15)
    Booking.objects.filter(pk=booking.pk).update(
        status=BookingStatus.IN_PROGRESS,
        client_joined_at=booking.starts_at,
        reader_joined_at=booking.starts_at + timedelta(minutes=5),
    )
    # when
    result = booking_no_show_sweep(now=booking.ends_at)
    # then
    booking.refresh_from_db()
    assert result.completed == 1
    assert booking.status == BookingStatus.COMPLETED
    assert balance(f"earnings:{booking.reader_id}") == Decimal("21.00")
    assert balance(f"hold:booking:{booking.pk}") == Decimal("0.00")
    call_command("ledger_check")


def test_sweep_leaves_a_booking_whose_reading_is_still_in_progress_to_the_reading():
    # given: an active reading, the booked end just passed, the tick not run yet
    booking = booking_now(started_minutes_ago=2, duration_minutes=15)
    both_in_room(booking)
    # when
    result = booking_no_show_sweep(now=booking.ends_at + timedelta(seconds=1))
    # then
    booking.refresh_from_db()
    assert result.completed == 0 and booking.status == BookingStatus.IN_PROGRESS


def test_sweep_run_twice_moves_the_money_once():
    # given
    no_show = booking_now(started_minutes_ago=2)
    client_missing = booking_now(started_minutes_ago=2)
    booking_join(booking_id=client_missing.pk, user=client_missing.reader)
    now = _after_cut_off(no_show)
    # when
    first = booking_no_show_sweep(now=now)
    second = booking_no_show_sweep(now=now)
    # then
    assert (first.reader_no_shows, first.client_no_shows) == (1, 1)
    assert (second.reader_no_shows, second.client_no_shows, second.completed) == (0, 0, 0)
    for booking in (no_show, client_missing):
        assert Transaction.objects.filter(subject_type="booking", subject_id=booking.pk).count() == 2
    call_command("ledger_check")


@pytest.mark.django_db(transaction=True)
def test_sweeps_racing_on_separate_connections_settle_each_booking_once():
    # given: six due bookings of three kinds, with six different readers
    reader_missing = [booking_now(started_minutes_ago=12) for _ in range(2)]
    client_missing = [booking_now(started_minutes_ago=12) for _ in range(2)]
    for booking in client_missing:
        Booking.objects.filter(pk=booking.pk).update(
            status=BookingStatus.IN_PROGRESS, reader_joined_at=booking.starts_at
        )
    over = [booking_now(started_minutes_ago=31) for _ in range(2)]
    for booking in over:
        Booking.objects.filter(pk=booking.pk).update(
            status=BookingStatus.IN_PROGRESS, client_joined_at=booking.starts_at, reader_joined_at=booking.starts_at
        )
    # when: three sweeps at once, from three connections
    results = race_all_succeed(booking_no_show_sweep, booking_no_show_sweep, booking_no_show_sweep)
    # then: each booking decided once
    assert sum(r.reader_no_shows for r in results) == 2
    assert sum(r.client_no_shows for r in results) == 2
    assert sum(r.completed for r in results) == 2
    for booking in reader_missing + client_missing + over:
        booking.refresh_from_db()
        assert booking.status in (BookingStatus.NO_SHOW, BookingStatus.COMPLETED)
        assert balance(f"hold:booking:{booking.pk}") == Decimal("0.00")
        assert Transaction.objects.filter(subject_type="booking", subject_id=booking.pk).count() == 2
    for booking in reader_missing:
        assert balance(f"wallet:{booking.client_id}") == WALLET
    for booking in client_missing + over:
        assert balance(f"earnings:{booking.reader_id}") == Decimal("42.00")
    call_command("ledger_check")


@pytest.mark.django_db(transaction=True)
def test_reading_finalization_and_sweep_racing_settle_the_booking_once():
    # given: a reading that ended after the booked end, not finalized yet
    booking = booking_now(started_minutes_ago=2, duration_minutes=15)
    reading = both_in_room(booking)
    from apps.readings.services import session_end, session_finalize

    session_end(actor=booking.client, session_id=reading.pk)
    after_end = booking.ends_at + timedelta(seconds=1)
    # when: the finalization and the sweep at once
    race_all_succeed(
        lambda: session_finalize(session_id=reading.pk),
        lambda: booking_no_show_sweep(now=after_end),
    )
    # then
    booking.refresh_from_db()
    assert booking.status == BookingStatus.COMPLETED
    assert Transaction.objects.filter(subject_type="booking", subject_id=booking.pk).count() == 2
    assert balance(f"earnings:{booking.reader_id}") == Decimal("21.00")
    assert ReadingSession.objects.get(pk=reading.pk).state == SessionState.FINALIZED
    call_command("ledger_check")


def test_sweep_goes_on_past_a_booking_whose_hold_does_not_match_and_writes_nothing_for_it():
    # given: two bookings whose clients did not come; a dollar left the first one's hold behind its back
    broken = booking_now(started_minutes_ago=13)
    fine = booking_now(started_minutes_ago=12)
    for booking in (broken, fine):
        Booking.objects.filter(pk=booking.pk).update(
            reader_joined_at=booking.starts_at, status=BookingStatus.IN_PROGRESS
        )
    transaction_post(
        kind=TransactionKind.BOOKING_REFUND,
        idempotency_key="test:stray-refund",
        postings=[
            (hold_find("booking", broken.pk), Decimal("-1.00")),
            (wallet_account(broken.client), Decimal("1.00")),
        ],
        user=broken.client,
    )
    # when
    result = booking_no_show_sweep()
    # then: the broken one is reported and left as it was; the other is decided
    assert result.failed == [broken.pk]
    assert result.client_no_shows == 1
    broken.refresh_from_db()
    fine.refresh_from_db()
    assert broken.status == BookingStatus.IN_PROGRESS
    assert balance(f"hold:booking:{broken.pk}") == Decimal("59.00")
    assert fine.status == BookingStatus.NO_SHOW
