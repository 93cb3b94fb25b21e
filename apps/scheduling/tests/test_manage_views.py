"""The parties' booking pages: lists in the viewer's zone with constant queries, the detail page, cancelling with the
refund shown first, moving a booking, the dashboard sections, and 404 for everyone else."""

from collections.abc import Callable
from datetime import time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.accounts.tests.factories import AdminFactory, UserFactory, give_totp
from apps.scheduling.enums import BookingStatus, CancelledBy
from apps.scheduling.models import Booking
from apps.scheduling.tests.factories import ReaderScheduleFactory, booking_funded, weekly_windows
from apps.wallet.selectors import balance_of
from apps.wallet.services.ledger import wallet_account
from tests.support.money import top_up

pytestmark = pytest.mark.django_db

FEW, MANY = 1, 12


@pytest.fixture
def reader():
    schedule = ReaderScheduleFactory(timezone="UTC")
    weekly_windows(schedule.reader, start=time(0), end=time(0))
    user = schedule.reader
    user.timezone = "Europe/London"
    user.save(update_fields=["timezone"])
    return user


@pytest.fixture
def customer():
    user = UserFactory(timezone="America/Los_Angeles")
    top_up(user, "2000.00")
    return user


def _book(customer, reader, *, hours_ahead: float, **fields) -> Booking:
    starts_at = (timezone.now() + timedelta(hours=hours_ahead)).replace(second=0, microsecond=0)
    starts_at -= timedelta(minutes=starts_at.minute % 15)
    return booking_funded(
        client=customer,
        reader=reader,
        starts_at=starts_at,
        client_timezone=customer.timezone,
        reader_timezone=reader.timezone,
        **fields,
    )


def _bookings(customer, reader, rows: int) -> None:
    """``rows`` upcoming bookings and ``rows`` finished ones, an hour apart."""
    for n in range(rows):
        _book(customer, reader, hours_ahead=48 + n, idempotency_key=f"up:{reader.pk}:{n}")
        past = _book(customer, reader, hours_ahead=200 + n, idempotency_key=f"past:{reader.pk}:{n}")
        Booking.objects.filter(pk=past.pk).update(
            starts_at=past.starts_at - timedelta(days=30),
            ends_at=past.ends_at - timedelta(days=30),
            status=BookingStatus.COMPLETED,
            reader_share_amount=Decimal("42.00"),
            platform_share_amount=Decimal("18.00"),
            finished_at=timezone.now() - timedelta(days=20),
        )


def _queries(get: Callable[[], object]) -> int:
    get()
    with CaptureQueriesContext(connection) as captured:
        response = get()
    assert response.status_code == 200  # type: ignore[attr-defined]
    return len(captured.captured_queries)


# --- lists ----------------------------------------------------------------------------------------------------


def test_client_list_shows_upcoming_and_past_in_the_clients_zone(client, customer, reader):
    # given: a booking at 18:00 UTC, which is 10:00 in Los Angeles in winter
    starts = (timezone.now() + timedelta(days=3)).replace(hour=18, minute=0, second=0, microsecond=0)
    booking = booking_funded(client=customer, reader=reader, starts_at=starts)
    cancelled = _book(customer, reader, hours_ahead=100, idempotency_key="c")
    client.force_login(customer)
    client.post(reverse("scheduling_manage:cancel", args=[cancelled.pk]), {"expected_refund": "60.00"})
    # when
    response = client.get(reverse("scheduling_manage:client_list"))
    # then
    html = response.content.decode()
    assert response.status_code == 200
    upcoming, past = html.split('data-testid="upcoming-bookings"')[1].split('data-testid="past-bookings"')
    local = starts.astimezone(ZoneInfo("America/Los_Angeles"))
    assert local.strftime("%H:%M") in upcoming and f"/bookings/{booking.pk}/" in upcoming
    assert "$60.00" in upcoming
    assert f"/bookings/{cancelled.pk}/" in past and "Cancelled" in past
    assert "America/Los_Angeles" in html


def test_client_list_many_bookings_same_queries_as_few(client, customer, reader):
    # given
    client.force_login(customer)
    _bookings(customer, reader, FEW)
    few = _queries(lambda: client.get(reverse("scheduling_manage:client_list")))
    more = UserFactory(timezone="Asia/Kolkata")
    top_up(more, "5000.00")
    _bookings(more, ReaderScheduleFactory().reader, MANY)
    client.force_login(more)
    # when
    many = _queries(lambda: client.get(reverse("scheduling_manage:client_list")))
    # then
    assert many == few


def test_reader_list_shows_earnings_and_upcoming_with_constant_queries(client, customer, reader):
    # given
    _bookings(customer, reader, FEW)
    client.force_login(reader)
    few = _queries(lambda: client.get(reverse("scheduling_manage:reader_list")))
    other_reader = ReaderScheduleFactory().reader
    _bookings(customer, other_reader, MANY)
    client.force_login(other_reader)
    # when
    many = _queries(lambda: client.get(reverse("scheduling_manage:reader_list")))
    response = client.get(reverse("scheduling_manage:reader_list"))
    # then
    assert many == few
    html = response.content.decode()
    assert 'data-testid="booking-earned">$504.00' in html  # 12 × $42.00
    assert html.count("/bookings/") >= 2 * MANY


def test_reader_list_is_for_readers_only(client, customer):
    # given
    client.force_login(customer)
    # when / then
    assert client.get(reverse("scheduling_manage:reader_list")).status_code == 404


# --- one booking ------------------------------------------------------------------------------------------------


def test_detail_shows_both_zones_and_the_clients_refund_now(client, customer, reader):
    # given: 10 hours ahead: half back
    booking = _book(customer, reader, hours_ahead=10)
    client.force_login(customer)
    # when
    html = client.get(reverse("scheduling_manage:detail", args=[booking.pk])).content.decode()
    # then
    assert "America/Los_Angeles" in html and "Europe/London" in html
    assert "<strong>$30.00</strong> back (50% of $60.00)" in html
    assert reverse("scheduling_manage:cancel", args=[booking.pk]) in html
    assert reverse("scheduling_manage:reschedule", args=[booking.pk]) not in html  # inside 24 h
    # and the join panel is loaded into the page (its link leads to the join page without scripts)
    assert reverse("scheduling_join:panel", args=[booking.pk]) in html
    assert reverse("scheduling_join:page", args=[booking.pk]) in html


def test_detail_for_the_reader_shows_the_full_refund(client, customer, reader):
    # given
    booking = _book(customer, reader, hours_ahead=1)
    client.force_login(reader)
    # when
    html = client.get(reverse("scheduling_manage:detail", args=[booking.pk])).content.decode()
    # then
    assert "the client gets <strong>$60.00</strong> back (100% of $60.00)" in html


@pytest.mark.parametrize("name", ["detail", "cancel", "reschedule"])
def test_booking_pages_answer_404_to_anyone_not_a_party(client, customer, reader, name):
    # given
    booking = _book(customer, reader, hours_ahead=72)
    admin = AdminFactory()
    give_totp(admin)
    url = reverse(f"scheduling_manage:{name}", args=[booking.pk])
    # when / then
    for outsider in (UserFactory(), ReaderScheduleFactory().reader, admin):
        client.force_login(outsider)
        assert client.get(url).status_code == 404
        posted = client.post(url, {"expected_refund": "60.00", "starts_at": booking.starts_at.isoformat()})
        assert posted.status_code == (405 if name == "detail" else 404)
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CONFIRMED


def test_reschedule_page_is_the_clients_only(client, customer, reader):
    # given
    booking = _book(customer, reader, hours_ahead=72)
    client.force_login(reader)
    # when / then
    assert client.get(reverse("scheduling_manage:reschedule", args=[booking.pk])).status_code == 404


# --- cancelling -----------------------------------------------------------------------------------------------


def test_cancel_page_shows_the_exact_refund_before_confirming(client, customer, reader):
    # given
    booking = _book(customer, reader, hours_ahead=10)
    client.force_login(customer)
    # when
    html = client.get(reverse("scheduling_manage:cancel", args=[booking.pk])).content.decode()
    # then
    assert 'data-confirm="Cancel this booking? You get $30.00 back."' in html
    assert 'name="expected_refund" value="30.00"' in html
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CONFIRMED


def test_cancel_post_by_client_refunds_the_quote(client, customer, reader):
    # given
    booking = _book(customer, reader, hours_ahead=10)
    client.force_login(customer)
    # when
    response = client.post(reverse("scheduling_manage:cancel", args=[booking.pk]), {"expected_refund": "30.00"})
    # then
    assert response.status_code == 302
    booking.refresh_from_db()
    assert (booking.status, booking.cancelled_by, booking.refund_amount) == (
        BookingStatus.CANCELLED,
        CancelledBy.CLIENT,
        Decimal("30.00"),
    )
    assert balance_of(wallet_account(customer)) == Decimal("1970.00")
    page = client.get(response["Location"]).content.decode()
    assert "$30.00 is back in your wallet" in page


def test_cancel_post_with_a_stale_quote_changes_nothing_and_says_why(client, customer, reader):
    # given: the page was opened when the full refund applied
    booking = _book(customer, reader, hours_ahead=10)
    client.force_login(customer)
    # when
    response = client.post(
        reverse("scheduling_manage:cancel", args=[booking.pk]), {"expected_refund": "60.00"}, follow=True
    )
    # then
    assert "The refund is now $30.00 (50%)" in response.content.decode()
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CONFIRMED


def test_cancel_post_without_the_quote_is_refused_with_nothing_changed(client, customer, reader):
    # given
    booking = _book(customer, reader, hours_ahead=10)
    client.force_login(customer)
    # when
    response = client.post(reverse("scheduling_manage:cancel", args=[booking.pk]), {"expected_refund": "lots"})
    # then
    assert response.status_code == 400
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CONFIRMED


def test_cancel_post_by_reader_refunds_in_full_with_the_message(client, customer, reader):
    # given
    booking = _book(customer, reader, hours_ahead=3)
    client.force_login(reader)
    # when
    client.post(reverse("scheduling_manage:cancel", args=[booking.pk]), {"reason": "A family emergency."})
    # then
    booking.refresh_from_db()
    assert (booking.cancelled_by, booking.refund_amount, booking.cancel_reason) == (
        CancelledBy.READER,
        Decimal("60.00"),
        "A family emergency.",
    )


# --- moving -----------------------------------------------------------------------------------------------------


def test_reschedule_page_lists_open_times_and_moves_the_booking(client, customer, reader):
    # given: open all day every day (reader's zone UTC); booked 3 days ahead
    booking = _book(customer, reader, hours_ahead=72)
    client.force_login(customer)
    day = (booking.starts_at + timedelta(days=1)).astimezone(ZoneInfo(customer.timezone))
    # when
    page = client.get(reverse("scheduling_manage:reschedule", args=[booking.pk]), {"day": day.date().isoformat()})
    # then
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('name="starts_at"') == 96  # every quarter hour of a whole open day
    new_start = booking.starts_at + timedelta(days=1, hours=1)
    response = client.post(
        reverse("scheduling_manage:reschedule", args=[booking.pk]), {"starts_at": new_start.isoformat()}
    )
    assert response.status_code == 302
    booking.refresh_from_db()
    assert (booking.starts_at, booking.reschedule_count) == (new_start, 1)
    again = client.get(reverse("scheduling_manage:reschedule", args=[booking.pk])).content.decode()
    assert "cannot be moved again" in again


def test_reschedule_post_onto_a_taken_time_is_refused_with_nothing_changed(client, customer, reader):
    # given
    booking = _book(customer, reader, hours_ahead=72)
    other = UserFactory()
    top_up(other, "100.00")
    taken = booking_funded(client=other, reader=reader, starts_at=booking.starts_at + timedelta(hours=5))
    client.force_login(customer)
    # when
    response = client.post(
        reverse("scheduling_manage:reschedule", args=[booking.pk]),
        {"starts_at": taken.starts_at.isoformat()},
        follow=True,
    )
    # then
    assert "not open any more" in response.content.decode()
    assert Booking.objects.get(pk=booking.pk).starts_at == booking.starts_at


def test_reschedule_post_garbage_is_refused(client, customer, reader):
    # given
    booking = _book(customer, reader, hours_ahead=72)
    client.force_login(customer)
    # when
    response = client.post(
        reverse("scheduling_manage:reschedule", args=[booking.pk]), {"starts_at": "tomorrow"}, follow=True
    )
    # then
    assert "Pick one of the times offered." in response.content.decode()
    assert Booking.objects.get(pk=booking.pk).reschedule_count == 0


# --- dashboards and navigation ------------------------------------------------------------------------------------


def test_dashboards_have_the_booking_sections_and_panels_render(client, customer, reader):
    # given
    booking = _book(customer, reader, hours_ahead=30)
    # when / then: the client
    client.force_login(customer)
    dashboard = client.get(reverse("dashboards:home"), follow=True).content.decode()
    assert reverse("scheduling_manage:client_panel") in dashboard
    assert reverse("scheduling_manage:client_list") in dashboard  # also the navigation entry
    panel = client.get(reverse("scheduling_manage:client_panel")).content.decode()
    assert reverse("scheduling_manage:detail", args=[booking.pk]) in panel
    # and the reader
    client.force_login(reader)
    dashboard = client.get(reverse("dashboards:home"), follow=True).content.decode()
    assert reverse("scheduling_manage:reader_panel") in dashboard
    panel = client.get(reverse("scheduling_manage:reader_panel")).content.decode()
    assert reverse("scheduling_manage:detail", args=[booking.pk]) in panel
    assert 'data-testid="dashboard-booking-earned">$0.00' in panel


def test_panels_many_bookings_same_queries_as_few(client, customer, reader):
    # given
    _bookings(customer, reader, FEW)
    client.force_login(reader)
    few = _queries(lambda: client.get(reverse("scheduling_manage:reader_panel")))
    client.force_login(customer)
    few_client = _queries(lambda: client.get(reverse("scheduling_manage:client_panel")))
    other_reader = ReaderScheduleFactory().reader
    _bookings(customer, other_reader, MANY)
    # when
    many_client = _queries(lambda: client.get(reverse("scheduling_manage:client_panel")))
    client.force_login(other_reader)
    many = _queries(lambda: client.get(reverse("scheduling_manage:reader_panel")))
    # then
    assert (many, many_client) == (few, few_client)
