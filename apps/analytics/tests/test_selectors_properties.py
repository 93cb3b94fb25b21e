"""Property: for any set of ledger transactions of several kinds on random dates, every number of the reader's
and the admins' analytics equals the sum of the ledger's postings for its bucket, bucketed in the viewer's zone.

The expected numbers are computed twice, independently of the SQL under test: from the model of what was posted
(kept beside the ledger) and, for the totals, with a plain aggregate of the postings.
"""

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.accounts.tests.factories import AdminFactory, ReaderFactory, UserFactory
from apps.analytics.enums import Grain
from apps.analytics.periods import Period
from apps.analytics.selectors import admin_report, reader_report
from apps.wallet.models import Posting
from apps.wallet.selectors import EARNING_KINDS, EARNING_SOURCES
from apps.wallet.services.ledger_check import ledger_check_collect

from .helpers import adjust_at, chargeback_at, earn_at, reading_settled, refund_at

D = Decimal
ZERO = D("0.00")
# New York: the range crosses the switch to summer time (8 March 2026), and local midnights are 04:00 or
# 05:00 UTC, so a transaction late in a local evening is on another day in UTC.
ZONE = "America/New_York"
FIRST, LAST = date(2026, 2, 20), date(2026, 5, 10)
SPAN_START = FIRST - timedelta(days=12)
SPAN_DAYS = (LAST - FIRST).days + 24

OPERATIONS = ["earn", "reading", "adjust", "refund", "chargeback"]
operation = st.tuples(
    st.sampled_from(OPERATIONS),
    st.sampled_from([source.kind for source in EARNING_SOURCES]),
    st.integers(min_value=0, max_value=1),  # which reader
    st.integers(min_value=1, max_value=50_000),  # cents
    st.integers(min_value=0, max_value=SPAN_DAYS),  # which local day, from SPAN_START
    # the local time: late evenings are already the next day in UTC, so a wrong zone moves them to another bucket
    st.sampled_from([time(0, 0), time(0, 30), time(9, 15), time(19, 59), time(21, 30), time(23, 59, 59)]),
    st.booleans(),  # a credit or a debit; a chargeback the wallet covers fully or not
)


def _bucket(period: Period, when: datetime) -> date | None:
    """The bucket of ``when`` in the viewer's zone, computed here without the database; None outside the range."""
    local = when.astimezone(ZoneInfo(ZONE)).date()
    if not FIRST <= local <= LAST:
        return None
    return local.replace(day=1) if period.grain == Grain.MONTH else local - timedelta(days=local.weekday())


def _ledger_sum(period: Period, **filters) -> Decimal:
    total = Posting.objects.filter(
        transaction__created_at__gte=period.start_at, transaction__created_at__lt=period.end_at, **filters
    ).aggregate(total=Sum("amount"))["total"]
    return total or ZERO


@pytest.mark.django_db
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(operations=st.lists(operation, min_size=1, max_size=25), grain=st.sampled_from(Grain.values))
def test_analytics_numbers_equal_ledger_sums_for_random_transactions(operations, grain):
    period = Period(first_day=FIRST, last_day=LAST, grain=grain, zone_name=ZONE)
    with transaction.atomic():
        # given: two readers, two clients, an admin, and the operations posted at their dates
        readers = [ReaderFactory(timezone=ZONE), ReaderFactory(timezone=ZONE)]
        clients = [UserFactory(), UserFactory()]
        admin = AdminFactory(timezone=ZONE)
        expected: dict[str, dict[date, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
        for name, kind, who, cents, day, local_time, flag in operations:
            when = datetime.combine(SPAN_START + timedelta(days=day), local_time, tzinfo=ZoneInfo(ZONE))
            amount = D(cents) / 100
            client = clients[who]
            bucket = _bucket(period, when)
            if name == "earn":
                reader_share, platform_share = earn_at(
                    kind=kind, client=client, reader=readers[who], amount=amount, when=when
                )
                expected[f"reader{who}:{kind}"][bucket] += reader_share
                expected["gross_volume"][bucket] += amount
                expected["platform_revenue"][bucket] += platform_share
                expected["top_ups"][bucket] += amount
            elif name == "reading":
                # a reading of 1 to 3 minutes at $2.00, charged minute by minute and settled 70/30
                minutes = 1 + cents % 3
                charged = D("2.00") * minutes
                reading_settled(client=client, reader=readers[who], ended_at=when, minutes=minutes)
                expected[f"reader{who}:session_settlement"][bucket] += charged * D("0.7")
                expected[f"reader{who}:readings"][bucket] += 1
                expected[f"reader{who}:minutes"][bucket] += minutes
                expected["readings"][bucket] += 1
                expected["minutes"][bucket] += minutes
                expected["gross_volume"][bucket] += charged
                expected["platform_revenue"][bucket] += charged * D("0.3")
                # the client topped up just before the reading started, which may be in the bucket before
                expected["top_ups"][_bucket(period, when - timedelta(minutes=minutes + 1))] += charged
            elif name == "adjust":
                signed = amount if flag else -amount
                adjust_at(user=client, amount=signed, when=when)
                expected["adjustments_credited" if flag else "adjustments_debited"][bucket] += amount
                if not flag:
                    expected["top_ups"][bucket] += amount
            elif name == "refund":
                refund_at(user=client, amount=amount, when=when)
                expected["refunds"][bucket] += amount
                expected["top_ups"][bucket] += amount
            else:
                taken = amount if flag else (amount / 3).quantize(D("0.01"))
                chargeback_at(user=client, amount=amount, taken=taken, when=when)
                expected["chargebacks"][bucket] += amount
                expected["losses"][bucket] += amount - taken
                expected["top_ups"][bucket] += taken

        # when
        mine = reader_report(viewer=readers[0], period=period)
        platform = admin_report(viewer=admin, period=period)

        # then: the reader's earnings, by source and bucket, are what was posted to their earnings
        buckets = period.buckets()
        earnings_chart = mine.charts[0]
        for source, series in zip(EARNING_SOURCES, earnings_chart.series, strict=False):
            assert list(series.values) == [expected[f"reader0:{source.kind}"][b] for b in buckets], source.key
        assert mine.earnings == sum((expected[f"reader0:{kind}"][b] for kind in EARNING_KINDS for b in buckets), ZERO)
        readings_chart = next(chart for chart in mine.charts if chart.key == "readings")
        counts = {series.key: list(series.values) for series in readings_chart.series}
        assert counts["readings"] == [expected["reader0:readings"][b] for b in buckets]
        assert counts["minutes"] == [expected["reader0:minutes"][b] for b in buckets]
        assert mine.earnings == _ledger_sum(
            period, account__code=f"earnings:{readers[0].pk}", transaction__kind__in=EARNING_KINDS
        )
        # and every money figure of the admin page, bucket by bucket and for the period
        money_series = {series.key: series for chart in platform.charts for series in chart.series}
        for name in ("gross_volume", "platform_revenue", "top_ups", "refunds", "adjustments_credited",
                     "adjustments_debited", "chargebacks", "losses"):  # fmt: skip
            assert list(money_series[name].values) == [expected[name][b] for b in buckets], name
            assert platform.money[name] == sum((expected[name][b] for b in buckets), ZERO), name
        platform_readings = next(chart for chart in platform.charts if chart.key == "readings")
        counts = {series.key: list(series.values) for series in platform_readings.series}
        assert counts["readings"] == [expected["readings"][b] for b in buckets]
        assert counts["minutes"] == [expected["minutes"][b] for b in buckets]
        # and the period's totals are the plain sums of the ledger's postings
        assert platform.money["platform_revenue"] == _ledger_sum(
            period, account__code="platform:revenue", transaction__kind__in=EARNING_KINDS
        )
        assert platform.money["gross_volume"] == _ledger_sum(
            period, account__kind__in=["earnings", "platform_revenue"], transaction__kind__in=EARNING_KINDS
        )
        assert platform.money["losses"] == -_ledger_sum(period, account__code="platform:losses")
        assert platform.money["top_ups"] == -_ledger_sum(
            period, account__code="stripe:cash", transaction__kind="top_up"
        )
        # and the top readers' earnings are their ledger sums
        for top in platform.top_readers:
            assert top.earnings == _ledger_sum(
                period, account__code=f"earnings:{top.user_id}", transaction__kind__in=EARNING_KINDS
            )
        assert ledger_check_collect()["ok"]
        transaction.set_rollback(True)
