"""The numbers of the analytics pages, read from the ledger, readings, reviews and users.

Money comes from ledger postings only, bucketed by their transaction's time in the viewer's zone:
- a reader's earnings by source: what transactions of each earning kind credited ``earnings:<reader>``;
- gross volume: what clients paid for those services, the reader's share plus the platform's (the postings to
  ``earnings:*`` and ``platform:revenue`` of the earning kinds); platform revenue: the ``platform:revenue`` part;
- top-ups: credited to wallets; refunds and chargebacks: what went back out through ``stripe:cash`` (net of
  their reversals); adjustments: what admins credited to or took from wallets; losses: ``platform:losses``.
Each page runs a fixed number of grouped queries, whatever the range and the number of rows.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, F, IntegerField, Q, Sum, Value, When

from apps.accounts.enums import Role
from apps.accounts.selectors import user_role_counts, user_signups_by_bucket
from apps.core.exceptions import NotFound
from apps.readings.selectors import (
    reading_clients_by_bucket,
    reading_repeat_clients,
    reading_totals_by_bucket,
    reading_totals_by_reader,
    review_ratings_by_bucket,
)
from apps.wallet.enums import AccountKind, TransactionKind
from apps.wallet.models import Dispute, LedgerCheckRun, Posting, ReconciliationRun, Refund
from apps.wallet.selectors import EARNING_KINDS, EARNING_SOURCES, ledger_check_last
from apps.wallet.selectors_stripe import reconciliation_last

from .charts import Chart, Series
from .periods import Period

ZERO = Decimal("0.00")
K = TransactionKind


TOP_READERS = 10


def _in_period(period: Period) -> Q:
    return Q(transaction__created_at__gte=period.start_at, transaction__created_at__lt=period.end_at)


def _series_values(by_bucket: dict[date, Any], buckets: list[date], default: Any = 0) -> list[Any]:
    return [by_bucket.get(bucket, default) for bucket in buckets]


def _money_series(key: str, label: str, values: list[Decimal], **options: Any) -> Series:
    return Series(key, label, values, total=sum(values, ZERO), is_money=True, **options)


def _count_series(key: str, label: str, values: list[int], **options: Any) -> Series:
    return Series(key, label, values, total=sum(values), **options)


# --- A reader's own analytics -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReaderReport:
    period: Period
    readings: int
    minutes: int
    earnings: Decimal
    earnings_by_source: list[tuple[str, Decimal]]
    clients: int
    repeat_clients: int
    reviews: int
    average_rating: Decimal | None
    charts: list[Chart]


def reader_earnings_by_bucket(*, reader_id: int, period: Period) -> dict[date, dict[str, Decimal]]:
    """Per bucket, what each earning kind credited to ``earnings:<reader_id>``: one grouped query."""
    rows = (
        Posting.objects.filter(_in_period(period), account__code=f"earnings:{reader_id}")
        .filter(transaction__kind__in=sorted(EARNING_KINDS))
        .annotate(bucket=period.trunc("transaction__created_at"), kind=F("transaction__kind"))
        .values("bucket", "kind")
        .annotate(total=Sum("amount"))
        .order_by("bucket", "kind")
    )
    found: dict[date, dict[str, Decimal]] = defaultdict(dict)
    for row in rows:
        found[row["bucket"]][row["kind"]] = row["total"]
    return found


def _average(stars: int, reviews: int) -> Decimal | None:
    return (Decimal(stars) / reviews).quantize(Decimal("0.01")) if reviews else None


def reader_report(*, viewer: Any, period: Period) -> ReaderReport:
    """The viewer's own analytics for ``period`` (readers only: anyone else gets a 404)."""
    if not getattr(viewer, "is_reader", False):
        raise NotFound()
    buckets, labels = period.buckets(), [period.bucket_label(bucket) for bucket in period.buckets()]
    start_at, end_at, trunc, reader_id = period.start_at, period.end_at, period.trunc, viewer.pk
    earnings = reader_earnings_by_bucket(reader_id=reader_id, period=period)
    readings = reading_totals_by_bucket(reader_id=reader_id, start_at=start_at, end_at=end_at, trunc=trunc)
    clients = reading_clients_by_bucket(reader_id=reader_id, start_at=start_at, end_at=end_at, trunc=trunc)
    repeat = reading_repeat_clients(reader_id=reader_id, start_at=start_at, end_at=end_at)
    ratings = review_ratings_by_bucket(reader_id=reader_id, start_at=start_at, end_at=end_at, trunc=trunc)

    by_source = {
        source.key: [earnings.get(bucket, {}).get(source.kind, ZERO) for bucket in buckets]
        for source in EARNING_SOURCES
    }
    source_totals = {key: sum(values, ZERO) for key, values in by_source.items()}
    bucket_totals = [sum((values[i] for values in by_source.values()), ZERO) for i in range(len(buckets))]
    source_series = [_money_series(source.key, source.label, by_source[source.key]) for source in EARNING_SOURCES]
    reading_count = _series_values({b: row["readings"] for b, row in readings.items()}, buckets)
    minutes = _series_values({b: row["minutes"] for b, row in readings.items()}, buckets)
    new_clients = _series_values({b: row["new"] for b, row in clients.items()}, buckets)
    returning = _series_values({b: row["returning"] for b, row in clients.items()}, buckets)
    reviews = _series_values({b: row["reviews"] for b, row in ratings.items()}, buckets)
    stars = _series_values({b: row["stars"] for b, row in ratings.items()}, buckets)
    total_reviews, total_stars = sum(reviews), sum(stars)

    charts = [
        Chart(
            "earnings",
            "Earnings by source",
            "Your share of what clients paid, by where it came from.",
            "bar",
            buckets,
            labels,
            [
                *source_series,
                _money_series("total", "All sources", bucket_totals, draw_as="line", colour="--color-ink"),
            ],
            stacked=True,
            axis_titles={"y": "US dollars"},
        ),
        Chart(
            "readings",
            "Readings and minutes",
            "Paid readings that ended in each period, and the minutes billed in them.",
            "bar",
            buckets,
            labels,
            [
                _count_series("minutes", "Minutes", minutes),
                _count_series("readings", "Readings", reading_count, draw_as="line", axis="y1"),
            ],
            axis_titles={"y": "Minutes", "y1": "Readings"},
        ),
        Chart(
            "clients",
            "New and returning clients",
            "Clients you read for: a first reading with you, or back after an earlier one.",
            "bar",
            buckets,
            labels,
            [
                _count_series("new_clients", "New clients", new_clients),
                Series("returning_clients", "Returning clients", returning),
            ],
            stacked=True,
            axis_titles={"y": "Clients"},
        ),
        Chart(
            "rating",
            "Average rating",
            "The average stars of the reviews you received in each period (reviews hidden by moderators left out).",
            "line",
            buckets,
            labels,
            [
                Series(
                    "average_rating",
                    "Average rating",
                    [_average(s, n) for s, n in zip(stars, reviews, strict=True)],
                    total=_average(total_stars, total_reviews),
                ),
                _count_series("reviews", "Reviews", reviews, draw_as="bar", axis="y1"),
            ],
            axis_titles={"y": "Stars (1 to 5)", "y1": "Reviews"},
        ),
    ]
    return ReaderReport(
        period=period,
        readings=sum(reading_count),
        minutes=sum(minutes),
        earnings=sum(source_totals.values(), ZERO),
        earnings_by_source=[(source.label, source_totals[source.key]) for source in EARNING_SOURCES],
        clients=repeat["clients"],
        repeat_clients=repeat["repeat"],
        reviews=total_reviews,
        average_rating=_average(total_stars, total_reviews),
        charts=charts,
    )


# --- The admins' analytics ----------------------------------------------------------------------------------

# Per bucket: (transaction kind, account kind, +1 for money into the account / -1 out of it) -> total.
Flows = dict[date, dict[tuple[str, str, int], Decimal]]


def ledger_flows_by_bucket(*, period: Period) -> Flows:
    """Every posting of the period summed by bucket, transaction kind, account kind and direction: one grouped
    query from which every money figure of the admin page is taken."""
    rows = (
        Posting.objects.filter(_in_period(period))
        .annotate(
            bucket=period.trunc("transaction__created_at"),
            kind=F("transaction__kind"),
            account_kind=F("account__kind"),
            direction=Case(When(amount__gt=0, then=Value(1)), default=Value(-1), output_field=IntegerField()),
        )
        .values("bucket", "kind", "account_kind", "direction")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    flows: Flows = defaultdict(dict)
    for row in rows:
        flows[row["bucket"]][(row["kind"], row["account_kind"], row["direction"])] = row["total"]
    return flows


def _flow(flows: Flows, bucket: date, kinds: Any, accounts: Any, direction: int | None = None) -> Decimal:
    """The sum of the flows of ``bucket`` of these transaction kinds (None: every kind) on these account kinds,
    in ``direction`` (None: both)."""
    return sum(
        (
            total
            for (kind, account, sign), total in flows.get(bucket, {}).items()
            if (kinds is None or kind in kinds) and account in accounts and (direction is None or sign == direction)
        ),
        ZERO,
    )


# How each money figure of the admin page is read from the flows: (kinds or None for all, account kinds,
# direction or None for both, sign to apply).
A = AccountKind
ADMIN_MONEY: dict[str, tuple[Any, Any, int | None, int]] = {
    "gross_volume": (EARNING_KINDS, (A.EARNINGS, A.PLATFORM_REVENUE), None, 1),
    "platform_revenue": (EARNING_KINDS, (A.PLATFORM_REVENUE,), None, 1),
    "reader_earnings": (EARNING_KINDS, (A.EARNINGS,), None, 1),
    "top_ups": ((K.TOP_UP,), (A.WALLET,), None, 1),
    "refunds": ((K.REFUND, K.REFUND_REVERSAL), (A.STRIPE_CASH,), None, 1),
    "adjustments_credited": ((K.ADJUSTMENT,), (A.WALLET,), 1, 1),
    "adjustments_debited": ((K.ADJUSTMENT,), (A.WALLET,), -1, -1),
    "chargebacks": ((K.CHARGEBACK, K.CHARGEBACK_REVERSAL), (A.STRIPE_CASH,), None, 1),
    "losses": (None, (A.PLATFORM_LOSSES,), None, -1),
}


def admin_money_by_bucket(*, flows: Flows, buckets: list[date]) -> dict[str, list[Decimal]]:
    return {
        name: [sign * _flow(flows, bucket, kinds, accounts, direction) for bucket in buckets]
        for name, (kinds, accounts, direction, sign) in ADMIN_MONEY.items()
    }


@dataclass(frozen=True)
class TopReader:
    user_id: int
    name: str
    email: str
    earnings: Decimal
    readings: int
    minutes: int


@dataclass(frozen=True)
class StatusRow:
    label: str
    count: int
    amount: Decimal


@dataclass(frozen=True)
class AdminReport:
    period: Period
    money: dict[str, Decimal]  # each ADMIN_MONEY figure for the whole period
    signups: dict[str, int]
    role_counts: dict[str, int]
    readings: int
    minutes: int
    top_readers: list[TopReader]
    refunds_by_status: list[StatusRow]
    disputes_by_status: list[StatusRow]
    open_disputes: int
    last_ledger_check: LedgerCheckRun | None
    last_reconciliation: ReconciliationRun | None
    charts: list[Chart]


def top_readers_list(*, period: Period, limit: int = TOP_READERS) -> list[TopReader]:
    """The readers who earned most in ``period`` (their share of every earning kind), with their readings: two
    queries."""
    rows = list(
        Posting.objects.filter(
            _in_period(period), account__kind=A.EARNINGS, transaction__kind__in=sorted(EARNING_KINDS)
        )
        .values("account__user_id", "account__user__display_name", "account__user__email")
        .annotate(total=Sum("amount"))
        .order_by("-total", "account__user_id")[:limit]
    )
    ids = [row["account__user_id"] for row in rows]
    readings = reading_totals_by_reader(reader_ids=ids, start_at=period.start_at, end_at=period.end_at)
    return [
        TopReader(
            user_id=row["account__user_id"],
            name=row["account__user__display_name"] or row["account__user__email"].split("@")[0],
            email=row["account__user__email"],
            earnings=row["total"],
            readings=readings.get(row["account__user_id"], {}).get("readings", 0),
            minutes=readings.get(row["account__user_id"], {}).get("minutes", 0),
        )
        for row in rows
    ]


def _by_status(model: Any, period: Period) -> list[StatusRow]:
    """Rows of ``model`` (Refund or Dispute) created in ``period``, counted and summed by status (every status
    listed, zero when none)."""
    rows = (
        model.objects.filter(created_at__gte=period.start_at, created_at__lt=period.end_at)
        .values("status")
        .annotate(count=Count("id"), amount=Sum("amount"))
        .order_by()
    )
    found = {row["status"]: row for row in rows}
    return [
        StatusRow(label, found.get(value, {}).get("count", 0), found.get(value, {}).get("amount") or ZERO)
        for value, label in model.Status.choices
    ]


def admin_report(*, viewer: Any, period: Period) -> AdminReport:
    """The platform's analytics for ``period`` (admins only: anyone else gets a 404)."""
    if not getattr(viewer, "is_staff", False):
        raise NotFound()
    buckets, labels = period.buckets(), [period.bucket_label(bucket) for bucket in period.buckets()]
    signups = user_signups_by_bucket(viewer=viewer, start_at=period.start_at, end_at=period.end_at, trunc=period.trunc)
    readings = reading_totals_by_bucket(start_at=period.start_at, end_at=period.end_at, trunc=period.trunc)
    money = admin_money_by_bucket(flows=ledger_flows_by_bucket(period=period), buckets=buckets)
    zero_roles = dict.fromkeys(Role.values, 0)
    role_series = {role: [signups.get(bucket, zero_roles)[role] for bucket in buckets] for role in Role.values}
    reading_count = _series_values({b: row["readings"] for b, row in readings.items()}, buckets)
    minutes = _series_values({b: row["minutes"] for b, row in readings.items()}, buckets)

    def money_series(name: str, label: str, **options: Any) -> Series:
        return _money_series(name, label, money[name], **options)

    charts = [
        Chart(
            "signups",
            "New accounts",
            "Accounts created in each period, by their role today.",
            "bar",
            buckets,
            labels,
            [_count_series(role, f"{label}s", role_series[role]) for role, label in Role.choices],
            stacked=True,
            axis_titles={"y": "Accounts"},
        ),
        Chart(
            "readings",
            "Readings and minutes",
            "Paid readings that ended in each period, and the minutes billed in them.",
            "bar",
            buckets,
            labels,
            [
                _count_series("minutes", "Minutes", minutes),
                _count_series("readings", "Readings", reading_count, draw_as="line", axis="y1"),
            ],
            axis_titles={"y": "Minutes", "y1": "Readings"},
        ),
        Chart(
            "revenue",
            "Volume and revenue",
            "Gross volume is what clients paid for readings, replies, bookings, gifts, tickets and the shop; "
            "platform revenue is the platform's share of it; top-ups are money added to wallets by card.",
            "bar",
            buckets,
            labels,
            [
                money_series("gross_volume", "Gross volume"),
                money_series("platform_revenue", "Platform revenue"),
                money_series("top_ups", "Top-ups"),
            ],
            axis_titles={"y": "US dollars"},
        ),
        Chart(
            "money-back",
            "Refunds, adjustments and chargebacks",
            "Refunds and chargebacks are what went back to cards (net of reversals); adjustments are what admins "
            "credited to or took from wallets; losses are what chargebacks cost the platform.",
            "bar",
            buckets,
            labels,
            [
                money_series("refunds", "Refunds to cards"),
                money_series("adjustments_credited", "Adjustments credited"),
                money_series("adjustments_debited", "Adjustments debited"),
                money_series("chargebacks", "Chargebacks"),
                money_series("losses", "Losses"),
            ],
            axis_titles={"y": "US dollars"},
        ),
    ]
    return AdminReport(
        period=period,
        money={name: sum(values, ZERO) for name, values in money.items()},
        signups={role: sum(values) for role, values in role_series.items()},
        role_counts=user_role_counts(viewer=viewer),
        readings=sum(reading_count),
        minutes=sum(minutes),
        top_readers=top_readers_list(period=period),
        refunds_by_status=_by_status(Refund, period),
        disputes_by_status=_by_status(Dispute, period),
        open_disputes=Dispute.objects.filter(status__in=[Dispute.Status.OPEN, Dispute.Status.FUNDS_WITHDRAWN]).count(),
        last_ledger_check=ledger_check_last(),
        last_reconciliation=reconciliation_last(),
        charts=charts,
    )
