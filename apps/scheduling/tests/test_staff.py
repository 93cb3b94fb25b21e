"""Admin pages of bookings: the filtered list with constant queries, one booking, cancelling with a full refund
(reason, confirmation, audit), readers' missed readings, and 404 for everyone but admins."""

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.accounts.tests.factories import AdminFactory, UserFactory, give_totp
from apps.core.models import AuditLog
from apps.readers.models import ReaderProfile
from apps.scheduling.enums import BookingStatus, CancelledBy, NoShowParty
from apps.scheduling.models import Booking
from apps.scheduling.tests.factories import ReaderScheduleFactory, booking_funded
from apps.wallet.selectors import balance_of
from apps.wallet.services.holds import hold_find
from apps.wallet.services.ledger import wallet_account
from tests.support.money import top_up

pytestmark = pytest.mark.django_db

UTC = ZoneInfo("UTC")


@pytest.fixture
def admin(client):
    user = AdminFactory(timezone="UTC")
    give_totp(user)
    client.force_login(user)
    return user


def _client_with(amount: str = "1000.00", **fields):
    user = UserFactory(**fields)
    top_up(user, amount)
    return user


def _book(customer, reader, starts_at: datetime, **fields) -> Booking:
    return booking_funded(client=customer, reader=reader, starts_at=starts_at, **fields)


def _queries(get: Callable[[], object]) -> int:
    get()
    with CaptureQueriesContext(connection) as captured:
        response = get()
    assert response.status_code == 200  # type: ignore[attr-defined]
    return len(captured.captured_queries)


def _listed(client, **params) -> set[int]:
    response = client.get(reverse("staff_scheduling:booking_list"), params)
    assert response.status_code == 200
    return {booking.pk for booking in response.context["page"].object_list}


def test_staff_booking_list_filters_by_status_reader_client_and_dates(client, admin):
    # given: two readers, two clients, three bookings on different days
    anna = ReaderScheduleFactory().reader
    ReaderProfile.objects.filter(user=anna).update(display_name="Anna Starlight")
    bea = ReaderScheduleFactory().reader
    ada, bob = _client_with(email="ada@example.com"), _client_with(email="bob@example.com")
    first = _book(ada, anna, datetime(2027, 2, 1, 10, tzinfo=UTC))
    second = _book(bob, anna, datetime(2027, 2, 3, 10, tzinfo=UTC))
    third = _book(ada, bea, datetime(2027, 2, 5, 23, 30, tzinfo=UTC))
    Booking.objects.filter(pk=second.pk).update(status=BookingStatus.CANCELLED)
    # when / then
    assert _listed(client) == {first.pk, second.pk, third.pk}
    assert _listed(client, status="cancelled") == {second.pk}
    assert _listed(client, reader="starlight") == {first.pk, second.pk}
    assert _listed(client, reader_id=bea.pk) == {third.pk}
    assert _listed(client, client_email="ADA@") == {first.pk, third.pk}
    assert _listed(client, date_from="2027-02-02", date_to="2027-02-05") == {second.pk, third.pk}
    assert _listed(client, date_to="2027-02-01") == {first.pk}


def test_staff_booking_list_dates_are_days_in_the_admins_zone(client, admin):
    # given: 23:30 UTC on 5 February is already 6 February in Sydney
    admin.timezone = "Australia/Sydney"
    admin.save(update_fields=["timezone"])
    late = _book(_client_with(), ReaderScheduleFactory().reader, datetime(2027, 2, 5, 23, 30, tzinfo=UTC))
    # when / then
    assert _listed(client, date_from="2027-02-06", date_to="2027-02-06") == {late.pk}
    assert _listed(client, date_to="2027-02-05") == set()


def test_staff_booking_list_bad_dates_show_an_error_and_list_everything(client, admin):
    # given
    booking = _book(_client_with(), ReaderScheduleFactory().reader, timezone.now() + timedelta(days=2))
    # when
    response = client.get(
        reverse("staff_scheduling:booking_list"), {"date_from": "2027-02-05", "date_to": "2027-02-01"}
    )
    # then
    assert "The end date is before the start date." in response.content.decode()
    assert {item.pk for item in response.context["page"].object_list} == {booking.pk}


def test_staff_booking_list_many_rows_same_queries_as_few(client, admin):
    # given
    start = timezone.now() + timedelta(days=2)
    customer = _client_with("5000.00")
    _book(customer, ReaderScheduleFactory().reader, start, idempotency_key="few")
    few = _queries(lambda: client.get(reverse("staff_scheduling:booking_list")))
    for n in range(12):
        _book(customer, ReaderScheduleFactory().reader, start + timedelta(hours=n), idempotency_key=f"many:{n}")
    # when
    many = _queries(lambda: client.get(reverse("staff_scheduling:booking_list")))
    # then
    assert many == few


def _no_show(booking: Booking, party: str) -> None:
    Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.NO_SHOW, no_show_party=party)


def test_staff_no_shows_counts_the_readers_missed_readings(client, admin):
    # given: Anna missed two (once alone, once with the client absent too); a client missed Bea's reading
    anna = ReaderScheduleFactory().reader
    bea = ReaderScheduleFactory().reader
    customer = _client_with("5000.00")
    start = timezone.now() - timedelta(days=5)
    _no_show(_book(customer, anna, start, idempotency_key="a1"), NoShowParty.READER)
    _no_show(_book(customer, anna, start + timedelta(hours=1), idempotency_key="a2"), NoShowParty.BOTH)
    _book(customer, anna, start + timedelta(days=10), idempotency_key="a3")
    _no_show(_book(customer, bea, start, idempotency_key="b1"), NoShowParty.CLIENT)
    # when
    response = client.get(reverse("staff_scheduling:no_shows"))
    # then
    rows = {row["reader_id"]: (row["missed"], row["booked"]) for row in response.context["page"].object_list}
    assert rows == {anna.pk: (2, 3), bea.pk: (0, 1)}
    assert next(iter(rows)) == anna.pk  # most missed first
    detail = client.get(reverse("staff_scheduling:booking_detail", args=[Booking.objects.get(idempotency_key="a3").pk]))
    assert 'data-testid="reader-no-shows">2 missed readings' in detail.content.decode()


def test_staff_no_shows_many_readers_same_queries_as_few(client, admin):
    # given
    customer = _client_with("5000.00")
    start = timezone.now() + timedelta(days=2)
    _book(customer, ReaderScheduleFactory().reader, start, idempotency_key="few")
    few = _queries(lambda: client.get(reverse("staff_scheduling:no_shows")))
    for n in range(12):
        _book(customer, ReaderScheduleFactory().reader, start, idempotency_key=f"many:{n}")
    # when / then
    assert _queries(lambda: client.get(reverse("staff_scheduling:no_shows"))) == few


def test_staff_cancel_needs_a_reason_then_a_confirmation_then_refunds_in_full(client, admin):
    # given: an hour before the start, when a client would get nothing back
    customer = _client_with("100.00")
    reader = ReaderScheduleFactory().reader
    booking = _book(customer, reader, timezone.now() + timedelta(hours=1))
    url = reverse("staff_scheduling:booking_cancel", args=[booking.pk])
    # when: no reason
    empty = client.post(url, {"reason": "  "})
    # then
    assert empty.status_code == 400
    assert "This field is required." in empty.content.decode()
    # when: a reason, not yet confirmed
    confirm = client.post(url, {"reason": "The reader's account was compromised"})
    # then: the confirmation page, nothing changed yet
    html = confirm.content.decode()
    assert confirm.status_code == 200
    assert 'name="confirm" value="1"' in html and "Refund $60.00 to" in html
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CONFIRMED
    # when: confirmed
    done = client.post(url, {"reason": "The reader's account was compromised", "confirm": "1"})
    # then
    assert done.status_code == 302
    booking.refresh_from_db()
    assert (booking.status, booking.cancelled_by, booking.refund_amount) == (
        BookingStatus.CANCELLED,
        CancelledBy.ADMIN,
        Decimal("60.00"),
    )
    assert balance_of(wallet_account(customer)) == Decimal("100.00")
    assert hold_find("booking", booking.pk).balance == Decimal("0.00")
    entry = AuditLog.objects.get(action="scheduling.booking_cancelled")
    assert (entry.actor, entry.details["reason"]) == (admin, "The reader's account was compromised")


def test_staff_cancel_of_a_finished_booking_says_so_and_moves_nothing(client, admin):
    # given
    booking = _book(_client_with("100.00"), ReaderScheduleFactory().reader, timezone.now() + timedelta(days=2))
    client.post(reverse("staff_scheduling:booking_cancel", args=[booking.pk]), {"reason": "first", "confirm": "1"})
    # when
    response = client.post(
        reverse("staff_scheduling:booking_cancel", args=[booking.pk]), {"reason": "again", "confirm": "1"}, follow=True
    )
    # then: the same admin cancelling again is answered with the first result
    assert response.status_code == 200
    assert AuditLog.objects.filter(action="scheduling.booking_cancelled").count() == 1
    assert Booking.objects.get(pk=booking.pk).cancel_reason == "first"


def test_staff_pages_answer_404_to_non_admins(client):
    # given
    booking = _book(_client_with("100.00"), ReaderScheduleFactory().reader, timezone.now() + timedelta(days=2))
    urls = [
        reverse("staff_scheduling:booking_list"),
        reverse("staff_scheduling:no_shows"),
        reverse("staff_scheduling:booking_detail", args=[booking.pk]),
        reverse("staff_scheduling:booking_cancel", args=[booking.pk]),
    ]
    # when / then: the booking's own client and reader too
    for user in (booking.client, booking.reader):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 404
            assert client.post(url, {"reason": "x", "confirm": "1"}).status_code == 404
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CONFIRMED


def test_admin_dashboard_shows_the_bookings_summary(client, admin):
    # given
    _book(_client_with("100.00"), ReaderScheduleFactory().reader, timezone.now() + timedelta(days=2))
    # when
    html = client.get(reverse("dashboards:admin")).content.decode()
    # then
    assert "1 upcoming booking" in html
    assert reverse("staff_scheduling:booking_list") in html
