"""Joining a booked reading: the window, the parties, the room (a prepaid reading), the one-live-reading rule."""

from decimal import Decimal

import pytest
from django.utils import timezone

from apps.accounts.tests.factories import UserFactory
from apps.core.models import AuditLog
from apps.readings.enums import Billing, SessionState
from apps.readings.exceptions import ClientAlreadyInReading, ReaderAlreadyInReading
from apps.readings.models import ReadingSession
from apps.readings.services import session_accept, session_heartbeat, session_request
from apps.readings.services.prepaid import CLIENT_BUSY_MESSAGE, READER_BUSY_MESSAGE
from apps.readings.tests.helpers import credit, make_reader
from apps.scheduling.enums import BookingStatus
from apps.scheduling.models import Booking
from apps.scheduling.services.attendance import BookingNotFound, JoinRefused, booking_join
from apps.scheduling.tests.attendance_helpers import WALLET, balance, booking_now
from apps.wallet.models import Account

pytestmark = pytest.mark.django_db


def test_booking_join_by_the_client_opens_a_prepaid_reading_waiting_for_the_reader():
    # given
    booking = booking_now(started_minutes_ago=1)
    Booking.objects.filter(pk=booking.pk).update(intake_note="Will the move abroad go well?")
    # when
    result = booking_join(booking_id=booking.pk, user=booking.client)
    # then
    booking.refresh_from_db()
    reading = ReadingSession.objects.get(pk=booking.reading_id)
    assert result.url == f"/readings/{reading.pk}/"
    assert booking.status == BookingStatus.IN_PROGRESS
    assert booking.client_joined_at is not None and booking.reader_joined_at is None
    assert reading.billing == Billing.PREPAID and reading.state == SessionState.WAITING
    assert (reading.prepaid_subject_type, reading.prepaid_subject_id) == ("booking", booking.pk)
    assert reading.prepaid_until_at == booking.ends_at
    assert reading.prepaid_amount == booking.price_amount == Decimal("60.00")
    assert reading.intake_note == "Will the move abroad go well?"  # the reader sees it in the room
    assert (reading.client_id, reading.reader_id, reading.modality) == (
        booking.client_id,
        booking.reader_id,
        booking.modality,
    )
    # nothing charged: no hold of the reading, the wallet as it was after booking
    assert not Account.objects.filter(code=f"hold:session:{reading.pk}").exists()
    assert balance(f"wallet:{booking.client_id}") == WALLET - booking.price_amount
    assert AuditLog.objects.filter(action="scheduling.booking_joined", target_id=str(booking.pk)).count() == 1


def test_booking_join_by_both_sides_reuses_one_reading_which_starts_when_both_are_present():
    # given
    booking = booking_now(started_minutes_ago=-3)  # joining opens 5 minutes before the start
    first = booking_join(booking_id=booking.pk, user=booking.client)
    # when
    second = booking_join(booking_id=booking.pk, user=booking.reader)
    again = booking_join(booking_id=booking.pk, user=booking.client)
    # then
    assert first.url == second.url == again.url
    assert ReadingSession.objects.filter(prepaid_subject_id=booking.pk).count() == 1
    booking.refresh_from_db()
    assert booking.client_joined_at is not None and booking.reader_joined_at is not None
    reading = ReadingSession.objects.get(pk=booking.reading_id)
    assert reading.state == SessionState.WAITING
    # when: the room's heartbeats
    now = timezone.now()
    session_heartbeat(user=booking.client, session_id=reading.pk, now=now)
    state = session_heartbeat(user=booking.reader, session_id=reading.pk, now=now)
    # then
    assert state == SessionState.ACTIVE
    reading.refresh_from_db()
    assert reading.accepted_at == now and reading.minutes_billed == 0 and reading.charged_amount == 0
    assert reading.billed_until_at == booking.ends_at


def test_booking_join_by_someone_else_is_not_found_and_writes_nothing():
    # given
    booking = booking_now()
    stranger = UserFactory()
    # when / then
    with pytest.raises(BookingNotFound):
        booking_join(booking_id=booking.pk, user=stranger)
    with pytest.raises(BookingNotFound):
        booking_join(booking_id=booking.pk + 1000, user=booking.client)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED and booking.reading_id is None
    assert not ReadingSession.objects.exists()


@pytest.mark.parametrize(
    ("started_minutes_ago", "message"),
    [
        (-6, "Joining opens 5 minutes before the start."),
        (11, "Joining closed 10 minutes after the start."),
        (31, "The booked time is over."),
    ],
)
def test_booking_join_outside_its_window_is_refused_with_nothing_written(started_minutes_ago, message):
    # given
    booking = booking_now(started_minutes_ago=started_minutes_ago)
    # when / then
    with pytest.raises(JoinRefused, match=message):
        booking_join(booking_id=booking.pk, user=booking.client)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED and booking.client_joined_at is None
    assert not ReadingSession.objects.exists()


def test_booking_join_after_the_cut_off_is_allowed_to_a_side_that_joined_before():
    # given: the client joined at the start, then left; 20 minutes in they come back
    booking = booking_now(started_minutes_ago=20)
    Booking.objects.filter(pk=booking.pk).update(client_joined_at=booking.starts_at, status=BookingStatus.IN_PROGRESS)
    # when
    result = booking_join(booking_id=booking.pk, user=booking.client)
    # then
    assert result.url is not None
    # and the reader, who never came, may not
    with pytest.raises(JoinRefused, match="Joining closed"):
        booking_join(booking_id=booking.pk, user=booking.reader)


@pytest.mark.parametrize(
    ("status", "message"),
    [(BookingStatus.CANCELLED, "cancelled"), (BookingStatus.NO_SHOW, "missed"), (BookingStatus.COMPLETED, "over")],
)
def test_booking_join_of_a_finished_booking_is_refused(status, message):
    # given
    booking = booking_now()
    Booking.objects.filter(pk=booking.pk).update(status=status)
    # when / then
    with pytest.raises(JoinRefused, match=message):
        booking_join(booking_id=booking.pk, user=booking.reader)
    assert not ReadingSession.objects.exists()


def test_booking_join_of_a_client_in_an_on_demand_reading_says_so_and_writes_nothing():
    # given: the client is waiting for another reader's answer
    booking = booking_now()
    other_reader = make_reader(rate=Decimal("1.00"))
    credit(booking.client, Decimal("5.00"))
    session_request(client=booking.client, reader=other_reader, modality="text")
    # when / then
    with pytest.raises(ClientAlreadyInReading) as refused:
        booking_join(booking_id=booking.pk, user=booking.client)
    assert refused.value.message == CLIENT_BUSY_MESSAGE
    booking.refresh_from_db()
    assert booking.client_joined_at is None and booking.status == BookingStatus.CONFIRMED
    assert not ReadingSession.objects.filter(billing=Billing.PREPAID).exists()


def test_booking_join_of_a_reader_in_an_on_demand_reading_says_so_and_writes_nothing():
    # given: the reader is in a pay-per-minute reading with someone else
    booking = booking_now()
    profile = booking.reader.reader_profile
    type(profile).objects.filter(pk=profile.pk).update(
        text_rate_amount=Decimal("1.00"), presence="online", last_seen_at=timezone.now()
    )
    someone = UserFactory()
    credit(someone, Decimal("5.00"))
    on_demand = session_request(client=someone, reader=booking.reader, modality="text")
    session_accept(reader=booking.reader, session_id=on_demand.pk)
    # when / then
    with pytest.raises(ReaderAlreadyInReading) as refused:
        booking_join(booking_id=booking.pk, user=booking.reader)
    assert refused.value.message == READER_BUSY_MESSAGE
    booking.refresh_from_db()
    assert booking.reader_joined_at is None


def test_booking_join_of_the_reader_while_the_client_finishes_an_on_demand_reading_records_the_arrival():
    # given
    booking = booking_now()
    other_reader = make_reader(rate=Decimal("1.00"))
    credit(booking.client, Decimal("5.00"))
    session_request(client=booking.client, reader=other_reader, modality="text")
    # when
    result = booking_join(booking_id=booking.pk, user=booking.reader)
    # then: no room yet, a message; the reader's arrival counts (no reader no-show for this)
    assert result.url is None
    assert "finishing another reading" in result.message
    booking.refresh_from_db()
    assert booking.reader_joined_at is not None and booking.reading_id is None
    assert booking.status == BookingStatus.IN_PROGRESS


def test_booking_reading_blocks_an_on_demand_request_of_its_client_with_the_usual_message():
    # given: the client is in the booked reading's room
    booking = booking_now()
    booking_join(booking_id=booking.pk, user=booking.client)
    other_reader = make_reader(rate=Decimal("1.00"))
    credit(booking.client, Decimal("5.00"))
    # when / then
    with pytest.raises(ClientAlreadyInReading):
        session_request(client=booking.client, reader=other_reader, modality="text")


def test_prepaid_reading_cannot_be_accepted_or_declined_like_a_request():
    # given
    booking = booking_now()
    booking_join(booking_id=booking.pk, user=booking.client)
    booking.refresh_from_db()
    # when / then
    from apps.readings.exceptions import InvalidTransition
    from apps.readings.services import session_decline

    with pytest.raises(InvalidTransition):
        session_accept(reader=booking.reader, session_id=booking.reading_id)
    with pytest.raises(InvalidTransition):
        session_decline(reader=booking.reader, session_id=booking.reading_id)
    assert ReadingSession.objects.get(pk=booking.reading_id).state == SessionState.WAITING


@pytest.mark.django_db(transaction=True)
def test_both_sides_joining_at_the_same_instant_share_one_room():
    # given
    from tests.support.racing import race_all_succeed

    booking = booking_now()
    # when: the client and the reader press "join" at once, on separate connections
    results = race_all_succeed(
        lambda: booking_join(booking_id=booking.pk, user=booking.client),
        lambda: booking_join(booking_id=booking.pk, user=booking.reader),
    )
    # then
    reading = ReadingSession.objects.get()
    assert [result.url for result in results] == [f"/readings/{reading.pk}/"] * 2
    booking.refresh_from_db()
    assert booking.reading_id == reading.pk
    assert booking.client_joined_at is not None and booking.reader_joined_at is not None


def test_reader_accepting_an_on_demand_request_leaves_the_booked_reading_waiting_and_unlisted():
    # given: the client waits in the booked reading's room; the reader gets an on-demand request meanwhile
    from apps.readings.selectors import session_requests_for_reader

    booking = booking_now()
    booking_join(booking_id=booking.pk, user=booking.client)
    booking.refresh_from_db()
    profile = booking.reader.reader_profile
    type(profile).objects.filter(pk=profile.pk).update(
        text_rate_amount=Decimal("1.00"), presence="online", last_seen_at=timezone.now()
    )
    someone = UserFactory()
    credit(someone, Decimal("5.00"))
    on_demand = session_request(client=someone, reader=booking.reader, modality="text")
    # then: only the on-demand request is listed for an answer
    assert list(session_requests_for_reader(reader=booking.reader)) == [on_demand]
    # when
    session_accept(reader=booking.reader, session_id=on_demand.pk)
    # then: the booked reading is not ended as "reader busy"; it cannot start while the reader is engaged
    booked = ReadingSession.objects.get(pk=booking.reading_id)
    assert booked.state == SessionState.WAITING
    now = timezone.now()
    session_heartbeat(user=booking.client, session_id=booked.pk, now=now)
    assert session_heartbeat(user=booking.reader, session_id=booked.pk, now=now) == SessionState.WAITING
