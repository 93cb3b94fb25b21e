"""The join page, its panel and the join itself: parties only (404 for anyone else), into the room."""

from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from apps.accounts.tests.factories import AdminFactory, UserFactory, give_totp
from apps.readings.models import ReadingSession
from apps.scheduling.enums import BookingStatus
from apps.scheduling.tests.attendance_helpers import booking_now

pytestmark = pytest.mark.django_db


def _admin():
    admin = AdminFactory()
    give_totp(admin)
    return admin


def _login(client, user):
    client.force_login(user)
    return client


def test_join_page_shows_the_booking_in_the_viewers_timezone_and_the_join_button_when_open(client):
    # given: a client in Los Angeles, a booking that starts in 3 minutes
    booking = booking_now(started_minutes_ago=-3)
    booking.client.timezone = "America/Los_Angeles"
    booking.client.save(update_fields=["timezone"])
    # when
    response = _login(client, booking.client).get(reverse("scheduling_join:page", args=[booking.pk]))
    # then
    assert response.status_code == 200
    body = response.content.decode()
    assert "America/Los_Angeles" in body
    local = booking.starts_at.astimezone(ZoneInfo("America/Los_Angeles"))
    assert local.strftime("%H:%M") in body
    assert 'data-testid="join-button"' in body
    assert "$60.00" in body


def test_join_panel_before_the_window_says_when_joining_opens(client):
    # given
    booking = booking_now(started_minutes_ago=-60)
    # when
    response = _login(client, booking.reader).get(reverse("scheduling_join:panel", args=[booking.pk]))
    # then
    body = response.content.decode()
    assert response.status_code == 200
    assert "Joining opens 5 minutes before the start." in body
    assert 'data-testid="join-button"' not in body
    assert 'hx-trigger="every 30s"' in body


def test_join_post_sends_the_party_into_the_room(client):
    # given
    booking = booking_now()
    # when
    response = _login(client, booking.client).post(reverse("scheduling_join:join", args=[booking.pk]))
    # then
    booking.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == reverse("readings:room", kwargs={"pk": booking.reading_id})
    room = client.get(response["Location"])
    assert room.status_code == 200
    assert "Waiting for" in room.content.decode()
    assert "Withdraw request" not in room.content.decode()


def test_join_post_refused_goes_back_to_the_page_with_the_reason_and_writes_nothing(client):
    # given
    booking = booking_now(started_minutes_ago=-30)
    # when
    response = _login(client, booking.client).post(reverse("scheduling_join:join", args=[booking.pk]), follow=True)
    # then
    assert response.redirect_chain[-1][0] == reverse("scheduling_join:page", args=[booking.pk])
    assert "Joining opens 5 minutes before the start." in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert not ReadingSession.objects.exists()


@pytest.mark.parametrize("who", ["client", "reader", "admin"])
def test_join_views_answer_404_to_anyone_but_the_two_parties(client, who):
    # given
    booking = booking_now()
    stranger = {
        "client": UserFactory,
        "reader": lambda: booking_now().reader,
        "admin": _admin,
    }[who]()
    _login(client, stranger)
    # when / then
    assert client.get(reverse("scheduling_join:page", args=[booking.pk])).status_code == 404
    assert client.get(reverse("scheduling_join:panel", args=[booking.pk])).status_code == 404
    assert client.post(reverse("scheduling_join:join", args=[booking.pk])).status_code == 404
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED and booking.reading_id is None


def test_join_views_send_anonymous_visitors_to_sign_in(client):
    booking = booking_now()
    for name in ("page", "panel"):
        response = client.get(reverse(f"scheduling_join:{name}", args=[booking.pk]))
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.post(reverse("scheduling_join:join", args=[booking.pk])).status_code == 302
    assert not ReadingSession.objects.exists()


def test_room_status_of_a_booked_reading_shows_the_flat_price_and_time_left_not_the_wallet(client):
    # given: both sides in the room of a booking with an empty wallet behind it
    from apps.scheduling.tests.attendance_helpers import both_in_room

    booking = booking_now(started_minutes_ago=1, duration_minutes=30)
    reading = both_in_room(booking)
    # when
    response = _login(client, booking.client).get(reverse("readings:status", args=[reading.pk]))
    # then
    body = response.content.decode()
    assert response.status_code == 200
    assert "Flat price, paid at booking" in body and "$60.00" in body
    assert 'data-testid="room-booked-left">29 min<' in body
    assert 'data-testid="room-funds"' not in body and 'data-testid="room-minutes"' not in body
    assert 'data-low-balance="0"' in body
