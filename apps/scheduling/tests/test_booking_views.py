"""The booking pages: open times in the client's zone, the confirm page, confirming, and the booked page."""

import re
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.accounts.tests.factories import UserFactory
from apps.scheduling.forms import instant_param
from apps.scheduling.models import Booking, ReaderSchedule
from apps.scheduling.tests.factories import ReaderScheduleFactory, booking_funded, weekly_windows
from apps.wallet.selectors import wallet_balance
from tests.support.money import top_up

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()


def _reader():
    schedule = ReaderScheduleFactory(durations=[30, 60])
    weekly_windows(schedule.reader, start=time(9), end=time(17))
    return schedule.reader


def _next_start(hour_london: int = 10) -> datetime:
    day = (timezone.now() + timedelta(days=3)).astimezone(ZoneInfo("Europe/London")).date()
    return datetime.combine(day, time(hour_london), tzinfo=ZoneInfo("Europe/London")).astimezone(UTC)


def test_book_page_shows_open_times_in_the_clients_zone(client):
    # given a London reader open 09:00–17:00 and a client in Los Angeles
    reader = _reader()
    viewer = UserFactory(timezone="America/Los_Angeles")
    client.force_login(viewer)
    start = _next_start(10)
    local_day = start.astimezone(ZoneInfo("America/Los_Angeles")).date()
    # when
    response = client.get(reverse("scheduling:book", args=[reader.pk]), {"day": local_day.isoformat(), "days": 1})
    # then 10:00 in London is 02:00 in Los Angeles
    html = response.content.decode()
    assert response.status_code == 200 and "America/Los_Angeles" in html
    link = f"?start={instant_param(start)}&amp;duration=30"
    assert link in html
    assert re.search(r">\s*02:00\s*</a>", html)


def test_book_slots_partial_filters_by_duration_and_costs_the_same_queries_whatever_the_bookings(client):
    # given
    reader = _reader()
    viewer = UserFactory()
    client.force_login(viewer)
    url = reverse("scheduling:book_slots", args=[reader.pk])

    def count() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, {"duration": 60, "days": 7}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        return len(queries), response.content.decode()

    few, html = count()
    assert "duration=60" in html and "<html" not in html
    # when many bookings exist
    payer = UserFactory()
    top_up(payer, "1000.00")
    for offset in range(5):
        booking_funded(
            client=payer, reader=reader, starts_at=_next_start(10) + timedelta(days=offset), rate_amount=Decimal("1.00")
        )
    # then
    assert count()[0] == few


def test_book_page_for_a_reader_not_taking_bookings_says_so(client):
    reader = _reader()
    ReaderSchedule.objects.filter(reader=reader).update(is_accepting=False)
    response = client.get(reverse("scheduling:book", args=[reader.pk]))
    assert response.status_code == 200 and "is not taking bookings" in response.content.decode()
    panel = client.get(reverse("scheduling:profile_panel", args=[reader.pk]))
    assert "Book a reading" not in panel.content.decode()


def test_book_page_of_someone_who_is_not_a_listed_reader_is_404(client):
    assert client.get(reverse("scheduling:book", args=[UserFactory().pk])).status_code == 404


def test_profile_panel_offers_book_and_the_next_times(client):
    reader = _reader()
    html = client.get(reverse("scheduling:profile_panel", args=[reader.pk])).content.decode()
    assert "Book a reading" in html and "$2.00/min" in html and "Next open times (UTC)" in html


def test_confirm_page_shows_both_zones_price_policy_balance_and_a_top_up_link_when_short(client):
    # given a client in Los Angeles with $50 for a $60 reading
    reader = _reader()
    viewer = UserFactory(timezone="America/Los_Angeles")
    top_up(viewer, "50.00")
    client.force_login(viewer)
    start = _next_start(10)
    # when
    response = client.get(
        reverse("scheduling:confirm", args=[reader.pk]), {"start": instant_param(start), "duration": 30}
    )
    # then
    html = response.content.decode()
    assert response.status_code == 200
    client_local = start.astimezone(ZoneInfo("America/Los_Angeles"))
    assert f"{client_local:%A} {client_local.day} {client_local:%B %Y}, 02:00–02:30" in html
    assert ", 10:00–10:30" in html  # London
    assert "$60.00" in html and "30 min × $2.00/min" in html
    assert "$50.00" in html and "$10.00 short" in html and reverse("wallet:topup") in html
    assert "Cancel 24 hours or more before the start: full refund" in html and "50% refund" in html
    assert re.search(r'name="idempotency_key" value="[0-9a-f]{32}"', html)


def test_confirm_post_books_and_redirects_to_the_booked_page_which_strangers_cannot_see(client):
    # given
    reader = _reader()
    viewer = UserFactory(timezone="America/Los_Angeles")
    top_up(viewer, "200.00")
    client.force_login(viewer)
    start = _next_start(11)
    data = {"start": instant_param(start), "duration": "60", "idempotency_key": "a" * 32, "modality": "text"}
    # when
    response = client.post(reverse("scheduling:confirm", args=[reader.pk]), data)
    # then
    booking = Booking.objects.get(client=viewer)
    assert response.status_code == 302 and response["Location"] == reverse("scheduling:booked", args=[booking.pk])
    assert wallet_balance(user=viewer) == Decimal("80.00")  # $2.00/min × 60
    page = client.get(response["Location"]).content.decode()
    assert "Your reading is booked" in page and "03:00–04:00" in page
    client.force_login(UserFactory())
    assert client.get(reverse("scheduling:booked", args=[booking.pk])).status_code == 404
    client.force_login(reader)
    assert client.get(reverse("scheduling:booked", args=[booking.pk])).status_code == 200


def test_confirm_post_of_a_taken_time_answers_409_with_the_reason_and_moves_no_money(client):
    # given someone already booked 10:00
    reader = _reader()
    first = UserFactory()
    top_up(first, "100.00")
    booking_funded(client=first, reader=reader, starts_at=_next_start(10))
    viewer = UserFactory()
    top_up(viewer, "100.00")
    client.force_login(viewer)
    data = {"start": instant_param(_next_start(10)), "duration": "30", "idempotency_key": "b" * 32, "modality": "text"}
    # when
    response = client.post(reverse("scheduling:confirm", args=[reader.pk]), data)
    # then
    assert response.status_code == 409
    assert "That time was just taken — please pick another slot." in response.content.decode()
    assert wallet_balance(user=viewer) == Decimal("100.00")


def test_confirm_post_unfunded_answers_402_with_a_top_up_link(client):
    reader = _reader()
    viewer = UserFactory()
    top_up(viewer, "5.00")
    client.force_login(viewer)
    data = {"start": instant_param(_next_start(10)), "duration": "30", "idempotency_key": "c" * 32, "modality": "text"}
    response = client.post(reverse("scheduling:confirm", args=[reader.pk]), data)
    html = response.content.decode()
    assert response.status_code == 402 and "Add funds to your wallet" in html and reverse("wallet:topup") in html
    assert not Booking.objects.exists()


def test_book_slots_group_times_by_the_viewers_date_across_midnight(client):
    # given a London reader open 09:00–17:00 and a client in Sydney (9 or 11 hours ahead)
    reader = _reader()
    viewer = UserFactory(timezone="Australia/Sydney")
    client.force_login(viewer)
    start = _next_start(16)  # 16:00 London: after midnight in Sydney
    sydney = start.astimezone(ZoneInfo("Australia/Sydney"))
    assert sydney.date() > start.astimezone(ZoneInfo("Europe/London")).date()
    # when the client shows that Sydney day
    response = client.get(
        reverse("scheduling:book_slots", args=[reader.pk]), {"day": sydney.date().isoformat(), "days": 1}
    )
    # then the London afternoon is listed on it, at Sydney's early-morning time
    html = response.content.decode()
    assert f'data-slot="{instant_param(start)}"' in html
    assert f">{sydney:%H:%M}</a>" in html
    assert f'data-slot-day="{sydney.date().isoformat()}"' in html


def test_book_slots_navigation_stops_at_today_and_at_the_horizon(client):
    # given a reader booking 10 days ahead
    reader = _reader()
    ReaderSchedule.objects.filter(reader=reader).update(horizon_days=10)
    url = reverse("scheduling:book_slots", args=[reader.pk])
    today = timezone.now().astimezone(UTC).date()
    # when / then: no "Earlier" from today, a "Later" link to the next week
    first = client.get(url, {"days": 7}).content.decode()
    assert "Earlier" not in first and f"day={(today + timedelta(days=7)).isoformat()}" in first
    # when / then: the next week reaches past the horizon: "Earlier" back to today, no "Later"
    second = client.get(url, {"days": 7, "day": (today + timedelta(days=7)).isoformat()}).content.decode()
    assert f"day={today.isoformat()}" in second and "Later" not in second
    # when / then: a day before today shows today
    past = client.get(url, {"days": 1, "day": "2020-01-01"}).content.decode()
    assert f'data-slot-day="{today.isoformat()}"' in past


def test_confirm_post_with_a_kind_of_reading_not_offered_shows_the_form_again_and_books_nothing(client):
    reader = _reader()
    viewer = UserFactory()
    top_up(viewer, "100.00")
    client.force_login(viewer)
    data = {"start": instant_param(_next_start(10)), "duration": "30", "idempotency_key": "d" * 32, "modality": "video"}
    response = client.post(reverse("scheduling:confirm", args=[reader.pk]), data)
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    assert not Booking.objects.exists() and wallet_balance(user=viewer) == Decimal("100.00")
