"""The booked reading is billed flat: never ticked, ended at the booked end, and its hold settles 70/30 to zero."""

from datetime import timedelta
from decimal import ROUND_FLOOR, Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.core.models import AuditLog
from apps.readings.access import session_rtc_access
from apps.readings.enums import EndReason, Modality, SessionState
from apps.readings.services import session_bill_tick, session_end, session_finalize, session_heartbeat
from apps.scheduling.enums import BookingStatus
from apps.scheduling.services.attendance import booking_settle
from apps.scheduling.tests.attendance_helpers import WALLET, balance, booking_now, both_in_room, house_balance
from apps.wallet.enums import TransactionKind
from apps.wallet.models import Transaction

pytestmark = pytest.mark.django_db


def _share(price: Decimal) -> Decimal:
    return (price * Decimal("0.70")).quantize(Decimal("0.01"), rounding=ROUND_FLOOR)


@pytest.mark.parametrize(
    ("rate", "minutes"),
    [
        (Decimal("2.00"), 30),  # $60.00: $42.00 / $18.00
        (Decimal("1.99"), 15),  # $29.85: 20.895 floors to $20.89, the platform gets $8.96
        (Decimal("0.33"), 45),  # $14.85: 10.395 floors to $10.39
        (Decimal("0.01"), 15),  # $0.15: 0.105 floors to $0.10
    ],
)
def test_booking_reading_ended_by_a_party_settles_the_hold_to_zero_paying_the_reader_share(rate, minutes):
    # given: both sides in the room
    booking = booking_now(rate_amount=rate, duration_minutes=minutes)
    reading = both_in_room(booking)
    price = rate * minutes
    revenue_before = house_balance("platform:revenue")
    # when: the client ends it, and it is finalized (a task on commit; the tick as a safety net)
    session_end(actor=booking.client, session_id=reading.pk)
    session_finalize(session_id=reading.pk)
    # then
    booking.refresh_from_db()
    reading.refresh_from_db()
    assert booking.status == BookingStatus.COMPLETED
    assert booking.reader_share_amount == _share(price)
    assert booking.platform_share_amount == price - _share(price)
    assert balance(f"hold:booking:{booking.pk}") == Decimal("0.00")
    assert balance(f"earnings:{booking.reader_id}") == _share(price)
    assert house_balance("platform:revenue") - revenue_before == price - _share(price)
    assert balance(f"wallet:{booking.client_id}") == WALLET - price
    settlement = Transaction.objects.get(idempotency_key=f"booking:{booking.pk}:settlement")
    assert settlement.kind == TransactionKind.BOOKING  # earnings from bookings, not per-minute readings
    from apps.wallet.selectors import earnings_by_source

    by_source = {source["kind"]: source["amount"] for source in earnings_by_source(user=booking.reader)["sources"]}
    assert by_source[TransactionKind.BOOKING] == _share(price)
    assert by_source[TransactionKind.SESSION_SETTLEMENT] == Decimal("0.00")
    # the reading's summary shows the flat price and the shares
    assert reading.state == SessionState.FINALIZED
    assert reading.summary["amount"] == f"{price:.2f}"
    assert reading.reader_share_amount == _share(price)
    assert AuditLog.objects.filter(action="scheduling.booking_completed", target_id=str(booking.pk)).exists()
    call_command("ledger_check")


def test_booking_reading_finalized_twice_or_settled_again_moves_the_money_once():
    # given
    booking = booking_now()
    reading = both_in_room(booking)
    session_end(actor=booking.reader, session_id=reading.pk)
    session_finalize(session_id=reading.pk)
    # when
    session_finalize(session_id=reading.pk)
    booking_settle(booking_id=booking.pk)
    # then
    assert Transaction.objects.filter(subject_type="booking", subject_id=booking.pk).count() == 2  # fund, settle
    assert balance(f"earnings:{booking.reader_id}") == Decimal("42.00")
    call_command("ledger_check")


def test_prepaid_reading_is_never_charged_or_paused_by_the_tick():
    # given: an active booked reading, and a client whose wallet is now empty
    booking = booking_now(duration_minutes=30)
    reading = both_in_room(booking)
    wallet_after_booking = balance(f"wallet:{booking.client_id}")
    # when: ticks every few seconds for ten minutes, both sides present
    for step in range(1, 61):
        now = timezone.now() + timedelta(seconds=10 * step)
        session_heartbeat(user=booking.client, session_id=reading.pk, now=now)
        session_heartbeat(user=booking.reader, session_id=reading.pk, now=now)
        result = session_bill_tick(session_id=reading.pk, now=now)
        assert result.charged == 0 and result.paused == 0
    # then
    reading.refresh_from_db()
    assert reading.state == SessionState.ACTIVE
    assert reading.minutes_billed == 0 and reading.charged_amount == Decimal("0.00")
    assert not Transaction.objects.filter(session_id=reading.pk).exists()
    assert balance(f"wallet:{booking.client_id}") == wallet_after_booking
    call_command("ledger_check")


def test_tick_ends_the_booked_reading_at_the_booked_end_and_settles_the_booking():
    # given
    booking = booking_now(started_minutes_ago=1, duration_minutes=15)
    reading = both_in_room(booking)
    end = booking.ends_at
    session_heartbeat(user=booking.client, session_id=reading.pk, now=end - timedelta(seconds=5))
    session_heartbeat(user=booking.reader, session_id=reading.pk, now=end - timedelta(seconds=5))
    # when: the first tick after the booked end
    session_bill_tick(now=end + timedelta(seconds=3))
    # then: ended for the booked time, settled in the same tick
    reading.refresh_from_db()
    booking.refresh_from_db()
    assert reading.end_reason == EndReason.BOOKED_TIME_OVER
    assert reading.state == SessionState.FINALIZED
    assert reading.minutes_billed == 0
    # the active time stops at the booked end, never beyond
    assert reading.active_seconds <= Decimal((end - reading.accepted_at).total_seconds())
    assert booking.status == BookingStatus.COMPLETED
    assert balance(f"hold:booking:{booking.pk}") == Decimal("0.00")
    assert balance(f"earnings:{booking.reader_id}") == Decimal("21.00")
    call_command("ledger_check")


def test_prepaid_voice_and_video_tokens_end_at_the_booked_end():
    # given: an active booked video reading
    booking = booking_now(modality=Modality.VIDEO)
    reading = both_in_room(booking)
    # when
    decision = session_rtc_access(user=booking.client, object_id=str(reading.pk))
    # then: publisher privileges until the booked end, not a second of margin
    assert decision.expires_at == booking.ends_at
    assert decision.role == "publisher"


def test_booked_reading_that_drops_for_good_still_settles_flat():
    # given: both in the room, then both silent past the reconnect grace
    booking = booking_now()
    reading = both_in_room(booking)
    start = timezone.now()
    session_bill_tick(session_id=reading.pk, now=start + timedelta(seconds=40))
    reading.refresh_from_db()
    assert reading.state == SessionState.RECONNECTING
    # when: the grace (5 minutes) runs out
    session_bill_tick(session_id=reading.pk, now=start + timedelta(seconds=40 + 301))
    # then
    reading.refresh_from_db()
    booking.refresh_from_db()
    assert reading.end_reason == EndReason.GRACE_EXHAUSTED
    assert reading.state == SessionState.FINALIZED
    assert booking.status == BookingStatus.COMPLETED
    assert balance(f"hold:booking:{booking.pk}") == Decimal("0.00")
    call_command("ledger_check")


def test_client_may_review_a_settled_booked_reading_but_not_a_refunded_one():
    # given: one booked reading that took place, one whose reader never came (the client waited in the room)
    from apps.readings.services.reviews import review_allowed, review_create
    from apps.scheduling.services.attendance import booking_join, booking_no_show_sweep

    attended = booking_now()
    reading = both_in_room(attended)
    session_end(actor=attended.client, session_id=reading.pk)
    session_finalize(session_id=reading.pk)
    missed = booking_now(started_minutes_ago=2)
    booking_join(booking_id=missed.pk, user=missed.client)
    missed.refresh_from_db()
    booking_no_show_sweep(now=missed.starts_at + timedelta(minutes=10, seconds=1))
    waited_in = session_finalize(session_id=missed.reading_id)
    # when
    review = review_create(client=attended.client, session_id=reading.pk, rating=5, body="Worth every minute.")
    # then
    assert review.rating == 5
    assert waited_in.summary["amount"] == "0.00" and waited_in.summary["note"] == "refunded in full"
    assert not review_allowed(waited_in)


@pytest.mark.django_db(transaction=True)
def test_booking_cancel_by_admin_during_its_reading_refunds_in_full_and_ends_the_room():
    # given: both parties are reading in the booking's room
    from apps.accounts.tests.factories import AdminFactory
    from apps.readings.models import ReadingSession
    from apps.scheduling.services.cancellation import booking_cancel_by_admin

    booking = booking_now(started_minutes_ago=2)
    reading = both_in_room(booking)
    assert reading.state == SessionState.ACTIVE
    # when: an admin cancels the booking with a full refund
    cancelled = booking_cancel_by_admin(admin=AdminFactory(), booking_id=booking.pk, reason="Reported by the client")
    # then: the whole price is back, the room is closed, and finalizing it moves no more money
    reading = ReadingSession.objects.get(pk=reading.pk)
    assert cancelled.status == BookingStatus.CANCELLED and cancelled.refund_amount == Decimal("60.00")
    assert reading.state == SessionState.ENDED and reading.end_reason == EndReason.BOOKING_CANCELLED
    session_finalize(session_id=reading.pk)
    assert balance(f"wallet:{booking.client_id}") == WALLET
    assert balance(f"earnings:{booking.reader_id}") == Decimal("0.00")
    assert balance(f"hold:booking:{booking.pk}") == Decimal("0.00")
    call_command("ledger_check")
