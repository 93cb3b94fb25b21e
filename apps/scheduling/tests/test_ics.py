"""Calendar invites parse with the icalendar package and carry the booking's instants, METHOD, UID and SEQUENCE."""

from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.test import override_settings
from icalendar import Calendar

from apps.accounts.tests.factories import UserFactory
from apps.scheduling.enums import BookingStatus, Modality
from apps.scheduling.ics import IcsMethod, booking_ics, booking_ics_uid
from apps.scheduling.tests.factories import ReaderScheduleFactory, booking_funded
from tests.support.money import top_up

pytestmark = pytest.mark.django_db

LINK = "https://soulseer.example/dashboard/client/"
NOW = datetime(2027, 3, 20, 9, 0, tzinfo=UTC)


def _booking(*, starts_at=datetime(2027, 3, 28, 0, 30, tzinfo=UTC), **fields):
    reader = ReaderScheduleFactory().reader
    client = UserFactory(display_name="Alex", timezone="America/Los_Angeles")
    top_up(client, "200.00")
    return booking_funded(client=client, reader=reader, starts_at=starts_at, **fields)


def _event(text: str):
    calendar = Calendar.from_ical(text)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return calendar, events[0]


@override_settings(SITE_URL="https://soulseer.example")
def test_booking_ics_request_carries_the_booking_instants_in_utc_and_a_stable_uid():
    # given: a booking across the night Europe/London moves its clocks forward (28 March 2027, 01:00 UTC)
    booking = _booking(starts_at=datetime(2027, 3, 28, 0, 45, tzinfo=UTC), duration_minutes=30)
    # when
    text = booking_ics(booking=booking, recipient=booking.client, method=IcsMethod.REQUEST, link=LINK, now=NOW)
    # then
    calendar, event = _event(text)
    assert calendar["METHOD"] == "REQUEST"
    assert str(event["UID"]) == f"booking-{booking.pk}@soulseer.example" == booking_ics_uid(booking)
    assert event["SEQUENCE"] == 0
    assert event.decoded("DTSTART") == datetime(2027, 3, 28, 0, 45, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2027, 3, 28, 1, 15, tzinfo=UTC)
    assert event.decoded("DTSTAMP") == NOW
    assert "DTSTART:20270328T004500Z" in text and "DTEND:20270328T011500Z" in text
    assert str(event["STATUS"]) == "CONFIRMED"


def test_booking_ics_names_the_other_party_and_links_to_the_booking():
    # given
    booking = _booking(modality=Modality.VOICE, duration_minutes=45)
    reader_name = booking.reader.reader_profile.display_name
    # when
    for_client = _event(booking_ics(booking=booking, recipient=booking.client, method=IcsMethod.REQUEST, link=LINK))[1]
    for_reader = _event(booking_ics(booking=booking, recipient=booking.reader, method=IcsMethod.REQUEST, link=LINK))[1]
    # then
    assert str(for_client["SUMMARY"]) == f"Voice reading with {reader_name} (SoulSeer)"
    assert str(for_reader["SUMMARY"]) == "Voice reading with Alex (SoulSeer)"
    assert LINK in str(for_client["DESCRIPTION"]) and "45-minute voice reading" in str(for_client["DESCRIPTION"])
    assert str(for_client["URL"]) == LINK
    assert str(for_client["UID"]) == str(for_reader["UID"])


def test_booking_ics_attendee_is_only_the_recipient_and_the_organizer_is_the_platform():
    # given
    booking = _booking()
    # when
    event = _event(booking_ics(booking=booking, recipient=booking.client, method=IcsMethod.REQUEST, link=LINK))[1]
    # then: the other party's address is never in the file
    attendee = event["ATTENDEE"]
    assert str(attendee) == f"mailto:{booking.client.email}"
    assert attendee.params["PARTSTAT"] == "ACCEPTED" and attendee.params["RSVP"] == "FALSE"
    assert str(event["ORGANIZER"]).lower().startswith("mailto:") and settings.DEFAULT_FROM_EMAIL.endswith(
        str(event["ORGANIZER"])[len("mailto:") :] + ">"
    )
    assert booking.reader.email not in event.to_ical().decode()


def test_booking_ics_cancel_keeps_the_uid_and_carries_the_raised_sequence():
    # given: a booking moved once and then cancelled (each change raised its sequence)
    booking = _booking()
    request = _event(booking_ics(booking=booking, recipient=booking.reader, method=IcsMethod.REQUEST, link=LINK))[1]
    booking.ics_sequence = 2
    booking.status = BookingStatus.CANCELLED
    # when
    calendar, cancel = _event(
        booking_ics(booking=booking, recipient=booking.reader, method=IcsMethod.CANCEL, link=LINK)
    )
    # then
    assert calendar["METHOD"] == "CANCEL"
    assert str(cancel["UID"]) == str(request["UID"])
    assert cancel["SEQUENCE"] == 2 > request["SEQUENCE"]
    assert str(cancel["STATUS"]) == "CANCELLED"
    assert cancel.decoded("DTSTART") == booking.starts_at


def test_booking_ics_for_someone_not_a_party_is_refused():
    # given
    booking = _booking()
    # when / then
    with pytest.raises(ValueError):
        booking_ics(booking=booking, recipient=UserFactory(), method=IcsMethod.REQUEST, link=LINK)
