"""The analytics pages and their CSV exports: who may open them, what they show, bad ranges refused, times
bucketed in the viewer's zone, and a constant number of queries whatever the number of rows."""

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.accounts.tests.factories import ReaderFactory, UserFactory
from apps.wallet.enums import TransactionKind
from apps.wallet.models import Dispute, LedgerCheckRun, ReconciliationRun, Refund, TopUp, Transaction

from .helpers import earn_at, reading_ended, review_at

pytestmark = pytest.mark.django_db

D = Decimal
K = TransactionKind
MARCH = {"first_day": "2026-03-01", "last_day": "2026-03-31", "grain": "week"}


def _earn(kind, client, reader, amount: str, when: datetime):
    with transaction.atomic():
        return earn_at(kind=kind, client=client, reader=reader, amount=D(amount), when=when)


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.fixture
def reader(db):
    return ReaderFactory(timezone="UTC", display_name="Stella")


# --- Who may open them ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["analytics:reader", "analytics:reader_export"])
def test_reader_analytics_refused_to_clients_and_admins_not_found(client, client_user, admin_client, name):
    # given a client signed in
    client.force_login(client_user)
    # when / then: a client and an admin get 404 (the page is a reader's own)
    assert client.get(reverse(name)).status_code == 404
    assert admin_client.get(reverse(name)).status_code == 404


@pytest.mark.parametrize("name", ["staff_analytics:index", "staff_analytics:export"])
def test_staff_analytics_not_found_for_clients_and_readers(client, client_user, reader_user, name):
    for user in (client_user, reader_user):
        # given a non-admin signed in
        client.force_login(user)
        # when
        response = client.get(reverse(name), MARCH)
        # then
        assert response.status_code == 404


def test_staff_analytics_sends_anonymous_visitors_to_sign_in(client):
    response = client.get(reverse("staff_analytics:index"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# --- The reader's page ---------------------------------------------------------------------------------------


def test_reader_page_shows_earnings_by_source_charts_and_tables(client, reader):
    # given: a gift and a paid reply in March, a reading with a review, and a gift before the range
    fan = UserFactory()
    _earn(K.GIFT, fan, reader, "10.00", datetime(2026, 3, 3, 12, tzinfo=UTC))
    _earn(K.PAID_REPLY, fan, reader, "1.00", datetime(2026, 3, 10, 12, tzinfo=UTC))
    _earn(K.GIFT, fan, reader, "50.00", datetime(2026, 2, 27, 12, tzinfo=UTC))
    session = reading_ended(client=fan, reader=reader, ended_at=datetime(2026, 3, 4, 12, tzinfo=UTC), minutes=12)
    review_at(session=session, rating=4, when=datetime(2026, 3, 4, 13, tzinfo=UTC))
    client.force_login(reader)

    # when
    response = client.get(reverse("analytics:reader"), MARCH)

    # then: 70% of 11.00 is what the reader earned in March; every source is listed, empty ones at zero
    assert response.status_code == 200
    report = response.context["report"]
    assert report.earnings == D("7.70")
    assert dict(report.earnings_by_source) == {
        "Readings": D("0.00"),
        "Paid replies": D("0.70"),
        "Scheduled readings": D("0.00"),
        "Livestream gifts": D("7.00"),
        "Livestream tickets": D("0.00"),
        "Shop": D("0.00"),
    }
    assert (report.readings, report.minutes, report.reviews, report.average_rating) == (1, 12, 1, D("4.00"))
    html = response.content.decode()
    for key in ("earnings", "readings", "clients", "rating"):
        assert f'id="chart-{key}"' in html
        assert f'data-testid="table-{key}"' in html
    assert 'id="analytics-charts"' in html
    assert "build/vendor/chart.umd.min.js" in html
    # and the weekly buckets of March are all there, including the empty ones
    assert report.charts[0].buckets[0].isoformat() == "2026-02-23"
    assert len(report.charts[0].buckets) == 6


def test_reader_page_without_a_range_shows_the_last_90_days_by_week(client, reader):
    client.force_login(reader)
    response = client.get(reverse("analytics:reader"))
    assert response.status_code == 200
    period = response.context["report"].period
    assert period.days == 90
    assert period.last_day == timezone.now().date()
    assert period.grain == "week"


def test_reader_page_counts_new_returning_and_repeat_clients(client, reader):
    # given: Ann read in February and twice in March, Bob once in March, Cy once with another reader
    ann, bob, cy = UserFactory(), UserFactory(), UserFactory()
    reading_ended(client=ann, reader=reader, ended_at=datetime(2026, 2, 10, tzinfo=UTC), minutes=5)
    reading_ended(client=ann, reader=reader, ended_at=datetime(2026, 3, 3, tzinfo=UTC), minutes=5)
    reading_ended(client=ann, reader=reader, ended_at=datetime(2026, 3, 17, tzinfo=UTC), minutes=5)
    reading_ended(client=bob, reader=reader, ended_at=datetime(2026, 3, 17, tzinfo=UTC), minutes=3)
    reading_ended(client=cy, reader=ReaderFactory(), ended_at=datetime(2026, 3, 17, tzinfo=UTC), minutes=3)
    client.force_login(reader)

    # when
    report = client.get(reverse("analytics:reader"), {**MARCH, "grain": "month"}).context["report"]

    # then: two clients in March, Ann a repeat client; in March Ann returned and Bob was new
    assert (report.clients, report.repeat_clients) == (2, 1)
    clients_chart = next(chart for chart in report.charts if chart.key == "clients")
    assert [list(series.values) for series in clients_chart.series] == [[1], [1]]
    assert (report.readings, report.minutes) == (3, 13)


def test_reader_page_average_rating_leaves_hidden_reviews_out(client, reader):
    fan = UserFactory()
    shown = reading_ended(client=fan, reader=reader, ended_at=datetime(2026, 3, 2, tzinfo=UTC), minutes=2)
    hidden = reading_ended(client=fan, reader=reader, ended_at=datetime(2026, 3, 3, tzinfo=UTC), minutes=2)
    review_at(session=shown, rating=5, when=datetime(2026, 3, 2, 1, tzinfo=UTC))
    review_at(session=hidden, rating=1, when=datetime(2026, 3, 3, 1, tzinfo=UTC), hidden=True)
    client.force_login(reader)
    report = client.get(reverse("analytics:reader"), MARCH).context["report"]
    assert (report.reviews, report.average_rating) == (1, D("5.00"))


def test_reader_page_buckets_in_the_viewers_time_zone(client):
    # given: a gift on Monday 2 March at 03:00 UTC, which is Sunday 1 March, 22:00 in New York
    fan = UserFactory()
    new_yorker = ReaderFactory(timezone="America/New_York")
    londoner = ReaderFactory(timezone="UTC")
    when = datetime(2026, 3, 2, 3, tzinfo=UTC)
    _earn(K.GIFT, fan, new_yorker, "10.00", when)
    _earn(K.GIFT, fan, londoner, "10.00", when)

    def week_of_gift(user) -> str:
        client.force_login(user)
        chart = client.get(reverse("analytics:reader"), MARCH).context["report"].charts[0]
        gifts = next(series for series in chart.series if series.key == "gifts")
        return next(bucket.isoformat() for bucket, value in zip(chart.buckets, gifts.values, strict=True) if value)

    # then: each sees it in the week of their own Monday
    assert week_of_gift(new_yorker) == "2026-02-23"
    assert week_of_gift(londoner) == "2026-03-02"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"first_day": "2026-03-10", "last_day": "2026-03-01"}, "on or before the end date"),
        ({"first_day": "2023-01-01", "last_day": "2026-03-01"}, "at most 731 days"),
        ({"first_day": "2026-03-01", "last_day": "2999-01-01"}, "cannot end after today"),
        ({"first_day": "yesterday", "last_day": "2026-03-01"}, "Enter a valid date"),
        ({"first_day": "2026-03-01", "last_day": "2026-03-02", "grain": "decade"}, "Select a valid choice"),
        ({"first_day": "2026-03-01"}, "This field is required"),
    ],
)
def test_reader_page_refuses_a_bad_range_with_a_clear_error(client, reader, params, message):
    # given
    client.force_login(reader)
    # when
    response = client.get(reverse("analytics:reader"), params)
    # then: the form says what is wrong and no numbers are shown
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "report" not in response.context
    # and the export refuses it too
    export = client.get(reverse("analytics:reader_export"), params)
    assert export.status_code == 400
    assert message in export.content.decode()


def test_reader_csv_export_has_the_same_numbers_as_the_page(client, reader):
    # given
    fan = UserFactory()
    _earn(K.GIFT, fan, reader, "10.00", datetime(2026, 3, 3, 12, tzinfo=UTC))
    _earn(K.SESSION_SETTLEMENT, fan, reader, "20.00", datetime(2026, 3, 18, 12, tzinfo=UTC))
    reading_ended(client=fan, reader=reader, ended_at=datetime(2026, 3, 18, 11, tzinfo=UTC), minutes=10)
    client.force_login(reader)

    # when
    response = client.get(reverse("analytics:reader_export"), {**MARCH, "grain": "month"})

    # then: a CSV download, one row for March and one for the whole period
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert (
        'filename="soulseer-reader-analytics-2026-03-01-to-2026-03-31-by-month.csv"' in response["Content-Disposition"]
    )
    rows = _csv(response)
    header, march, whole = rows[0], rows[1], rows[2]
    assert len(rows) == 3
    assert header[0] == "Period starting" and march[0] == "2026-03-01" and whole[0] == "Whole period"
    values = dict(zip(header, march, strict=True))
    assert values["Earnings by source: Readings"] == "14.00"
    assert values["Earnings by source: Livestream gifts"] == "7.00"
    assert values["Earnings by source: Shop"] == "0.00"
    assert values["Earnings by source: All sources"] == "21.00"
    assert values["Readings and minutes: Minutes"] == "10"
    assert values["Readings and minutes: Readings"] == "1"
    assert values["New and returning clients: New clients"] == "1"
    assert values["Average rating: Average rating"] == ""
    assert dict(zip(header, whole, strict=True))["Earnings by source: All sources"] == "21.00"


# --- The admins' page ----------------------------------------------------------------------------------------


def test_staff_page_shows_money_top_readers_disputes_and_the_stored_checks(admin_client, admin_user):
    # given: two readers who earned in March, a refund request, a dispute, a ledger check and a reconciliation
    fan = UserFactory()
    star, rising = ReaderFactory(display_name="Star"), ReaderFactory(display_name="Rising")
    _earn(K.SESSION_SETTLEMENT, fan, star, "100.00", datetime(2026, 3, 5, tzinfo=UTC))
    _earn(K.GIFT, fan, rising, "10.00", datetime(2026, 3, 6, tzinfo=UTC))
    reading_ended(client=fan, reader=star, ended_at=datetime(2026, 3, 5, tzinfo=UTC), minutes=50)
    topup = TopUp.objects.create(user=fan, amount=D("110.00"), status=TopUp.Status.PAID)
    refund = Refund.objects.create(topup=topup, user=fan, amount=D("5.00"), reason="Asked", status="succeeded")
    dispute = Dispute.objects.create(stripe_dispute_id="dp_1", topup=topup, user=fan, amount=D("20.00"))
    Refund.objects.filter(pk=refund.pk).update(created_at=datetime(2026, 3, 9, tzinfo=UTC))
    Dispute.objects.filter(pk=dispute.pk).update(created_at=datetime(2026, 3, 9, tzinfo=UTC))
    LedgerCheckRun.objects.create(finished_at=timezone.now(), is_ok=True, report={"transactions": 4}, trigger="nightly")
    ReconciliationRun.objects.create(
        since="2026-03-01",
        until="2026-03-31",
        finished_at=timezone.now(),
        is_clean=False,
        differences=[{"id": "txn_1"}],
    )

    # when
    response = admin_client.get(reverse("staff_analytics:index"), MARCH)

    # then
    assert response.status_code == 200
    report = response.context["report"]
    assert report.money["gross_volume"] == D("110.00")
    assert report.money["platform_revenue"] == D("33.00")
    assert report.money["reader_earnings"] == D("77.00")
    assert report.money["top_ups"] == D("110.00")
    assert [(top.name, top.earnings, top.readings, top.minutes) for top in report.top_readers] == [
        ("Star", D("70.00"), 1, 50),
        ("Rising", D("7.00"), 0, 0),
    ]
    assert {row.label: (row.count, row.amount) for row in report.refunds_by_status}["Refunded"] == (1, D("5.00"))
    assert {row.label: (row.count, row.amount) for row in report.disputes_by_status}["Open"] == (1, D("20.00"))
    assert report.open_disputes == 1
    html = response.content.decode()
    assert "Clean" in html
    assert "1 difference" in html
    for key in ("signups", "readings", "revenue", "money-back"):
        assert f'id="chart-{key}"' in html and f'data-testid="table-{key}"' in html


def test_staff_page_shows_the_last_ledger_check_in_the_admins_time_zone(admin_client, admin_user):
    # given: an admin in Tokyo, and a check that finished at 23:30 UTC on 10 March (08:30 on 11 March in Tokyo)
    admin_user.timezone = "Asia/Tokyo"
    admin_user.save(update_fields=["timezone"])
    finished = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)
    LedgerCheckRun.objects.create(finished_at=finished, is_ok=True, report={"transactions": 0}, trigger="nightly")
    # when
    html = admin_client.get(reverse("staff_analytics:index"), MARCH).content.decode()
    # then
    assert "March 11, 2026, 8:30 a.m." in html
    assert "Asia/Tokyo" in html


def test_staff_page_counts_signups_by_role_in_the_period(admin_client):
    UserFactory(date_joined=datetime(2026, 3, 2, tzinfo=UTC))
    UserFactory(date_joined=datetime(2026, 3, 20, tzinfo=UTC))
    ReaderFactory(date_joined=datetime(2026, 3, 20, tzinfo=UTC))
    UserFactory(date_joined=datetime(2026, 4, 1, tzinfo=UTC))
    report = admin_client.get(reverse("staff_analytics:index"), {**MARCH, "grain": "month"}).context["report"]
    assert report.signups == {"client": 2, "reader": 1, "admin": 0}


def test_staff_csv_export_has_the_same_numbers_as_the_page(admin_client):
    fan, star = UserFactory(), ReaderFactory()
    _earn(K.SHOP_ORDER, fan, star, "40.00", datetime(2026, 3, 12, tzinfo=UTC))
    response = admin_client.get(reverse("staff_analytics:export"), {**MARCH, "grain": "month"})
    assert response.status_code == 200
    rows = _csv(response)
    values = dict(zip(rows[0], rows[1], strict=True))
    assert values["Volume and revenue: Gross volume"] == "40.00"
    assert values["Volume and revenue: Platform revenue"] == "12.00"
    assert values["Volume and revenue: Top-ups"] == "40.00"
    assert values["Refunds, adjustments and chargebacks: Refunds to cards"] == "0.00"
    assert rows[-1][0] == "Whole period"


# --- Queries -------------------------------------------------------------------------------------------------


def _queries(get: Callable[[], object]) -> int:
    get()  # warm per-process caches so both measurements start alike
    with CaptureQueriesContext(connection) as captured:
        response = get()
    assert response.status_code == 200  # type: ignore[attr-defined]
    return len(captured.captured_queries)


def _activity(reader, rows: int) -> None:
    """``rows`` clients, each with a gift, a reading with a review and a paid reply for ``reader`` in March."""
    for n in range(rows):
        fan = UserFactory(date_joined=datetime(2026, 3, 1 + n % 28, tzinfo=UTC))
        when = datetime(2026, 3, 1 + n % 28, 10, tzinfo=UTC)
        _earn(K.GIFT, fan, reader, "3.00", when)
        _earn(K.PAID_REPLY, fan, reader, "1.00", when)
        review_at(
            session=reading_ended(client=fan, reader=reader, ended_at=when, minutes=n + 1), rating=1 + n % 5, when=when
        )


def test_reader_page_many_rows_same_queries_as_few(client):
    few, many = ReaderFactory(), ReaderFactory()
    _activity(few, 1)
    _activity(many, 12)
    client.force_login(few)
    few_count = _queries(lambda: client.get(reverse("analytics:reader"), MARCH))
    client.force_login(many)
    many_count = _queries(lambda: client.get(reverse("analytics:reader"), MARCH))
    assert many_count == few_count


def test_staff_page_many_rows_same_queries_as_few(admin_client):
    _activity(ReaderFactory(), 1)
    few_count = _queries(lambda: admin_client.get(reverse("staff_analytics:index"), MARCH))
    for _ in range(12):
        _activity(ReaderFactory(), 2)
    many_count = _queries(lambda: admin_client.get(reverse("staff_analytics:index"), MARCH))
    assert many_count == few_count
    assert Transaction.objects.count() >= 100
