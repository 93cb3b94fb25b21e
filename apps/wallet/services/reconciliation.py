"""Reconciliation of the ledger with Stripe (SPEC §3): top-ups and refunds in the ledger against Stripe's
balance transactions for a period. Differences are listed (missing in the ledger, missing in Stripe,
amount mismatch) and the run is stored for the admin dashboard.

Top-ups and shop orders paid by card (``shop_order`` transactions that move ``stripe:cash``; both are Stripe
charges, reported under the kind "top_up") are matched by PaymentIntent id (the charge's ``payment_intent``),
refunds by refund id (a shop order's too), reader payouts by
their transfer group (``payout-<id>``: the ledger's payout subject, Stripe's transfer and its reversals). A refund that
failed after it succeeded nets to zero on both sides: Stripe's ``refund_failure`` balance transaction against
our ``refund_reversal`` entry. Both sides
are read one day beyond the period on each end, so an item booked just before midnight on one side and
just after on the other is matched, not reported twice; only items that fall in the period on at least
one side are reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Min, Sum
from django.utils import timezone

from apps.wallet import stripe_gateway
from apps.wallet.alerts import RECONCILIATION_MISMATCH, admin_alert
from apps.wallet.enums import TransactionKind
from apps.wallet.models import Posting, ReconciliationRun

# Ledger kinds that record money a Stripe charge brought in: a wallet top-up, a shop order paid by card.
CHARGE_KINDS = (TransactionKind.TOP_UP, TransactionKind.SHOP_ORDER)


@dataclass
class Item:
    kind: str  # "top_up" | "refund" | "payout"
    key: str  # payment intent id | refund id | transfer group
    amount: Decimal
    at: datetime
    reference: str  # ledger transaction id | balance transaction id


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _ledger_items(start: datetime, end: datetime) -> dict[tuple[str, str], Item]:
    rows = (
        Posting.objects.filter(
            account__code="stripe:cash",
            transaction__kind__in=[*CHARGE_KINDS, TransactionKind.REFUND, TransactionKind.REFUND_REVERSAL],
            transaction__created_at__gte=start,
            transaction__created_at__lt=end,
        )
        .values(
            "transaction_id",
            "transaction__kind",
            "transaction__created_at",
            "transaction__stripe_payment_intent_id",
            "transaction__stripe_refund_id",
        )
        .annotate(total=Sum("amount"))
    )
    items: dict[tuple[str, str], Item] = {}
    for row in rows:
        is_topup = row["transaction__kind"] in CHARGE_KINDS
        kind = "top_up" if is_topup else "refund"
        key = row["transaction__stripe_payment_intent_id"] if is_topup else row["transaction__stripe_refund_id"]
        # stripe:cash is credited negative by a top-up (money came in) and positive by a refund (went out);
        # a refund reversal (the money came back) is negative and nets its refund out.
        amount = -row["total"] if is_topup else row["total"]
        item = items.get((kind, key))
        if item is None:
            items[(kind, key)] = Item(kind, key, amount, row["transaction__created_at"], str(row["transaction_id"]))
        else:
            item.amount += amount
    _ledger_payout_items(items, start, end)
    return items


# What money Stripe moved for a reader payout: the transfer out, and any reversal back (``apps.payouts``).
PAYOUT_SUBJECT = "payout"


def _ledger_payout_items(items: dict[tuple[str, str], Item], start: datetime, end: datetime) -> None:
    rows = (
        Posting.objects.filter(
            account__code="stripe:cash",
            transaction__kind__in=[TransactionKind.PAYOUT, TransactionKind.PAYOUT_REVERSAL],
            transaction__subject_type=PAYOUT_SUBJECT,
            transaction__created_at__gte=start,
            transaction__created_at__lt=end,
        )
        .values("transaction__subject_id")
        .annotate(total=Sum("amount"), at=Min("transaction__created_at"), first=Min("transaction_id"))
    )
    for row in rows:
        key = f"payout-{row['transaction__subject_id']}"
        # stripe:cash is credited positive by money leaving (the transfer), negative by a reversal coming back.
        items[("payout", key)] = Item("payout", key, row["total"], row["at"], str(row["first"]))


def _source_id(value: Any, field: str) -> str:
    if isinstance(value, dict):
        return str(value.get(field) or "")
    return ""


def _transfer_group(source: Any, groups: dict[str, str]) -> str:
    """The transfer group of a transfer, or of the transfer a reversal belongs to (asked of Stripe when that
    transfer is not in the period read)."""
    if not isinstance(source, dict):
        return ""
    if source.get("object") == "transfer":
        groups[str(source.get("id"))] = str(source.get("transfer_group") or "")
        return groups[str(source.get("id"))]
    transfer_id = source.get("transfer")
    if isinstance(transfer_id, dict):
        return str(transfer_id.get("transfer_group") or "")
    if not transfer_id:
        return ""
    if transfer_id not in groups:
        groups[transfer_id] = str(stripe_gateway.transfer_retrieve(transfer_id).get("transfer_group") or "")
    return groups[transfer_id]


def _stripe_items(start: datetime, end: datetime) -> dict[tuple[str, str], Item]:
    items: dict[tuple[str, str], Item] = {}
    groups: dict[str, str] = {}
    for txn in stripe_gateway.balance_transactions_iter(
        created_gte=int(start.timestamp()), created_lte=int(end.timestamp()) - 1
    ):
        data = txn
        if data.get("type") in ("charge", "payment"):
            kind, key = "top_up", _source_id(data.get("source"), "payment_intent")
            amount = stripe_gateway.from_cents(data["amount"])
        elif data.get("type") in ("refund", "payment_refund", "refund_failure"):
            # A refund is a negative amount at Stripe, its failure the same amount back: both count for the refund.
            kind, key = "refund", _source_id(data.get("source"), "id")
            amount = stripe_gateway.from_cents(-data["amount"])
        elif data.get("type") in ("transfer", "transfer_refund", "transfer_cancel", "transfer_failure"):
            # A reader payout: the transfer out (negative at Stripe), a reversal back (positive).
            kind, key = "payout", _transfer_group(data.get("source"), groups)
            if not key.startswith("payout-"):
                continue  # a transfer this platform did not make for a payout
            amount = stripe_gateway.from_cents(-data["amount"])
        else:
            continue
        at = datetime.fromtimestamp(data["created"], tz=UTC)
        item = items.get((kind, key))
        if item is None:
            items[(kind, key)] = Item(kind, key, amount, at, data["id"])
        else:
            item.amount += amount
    return items


def reconciliation_differences(*, since: date, until: date) -> tuple[list[dict[str, Any]], int, int]:
    """(differences, ledger item count, Stripe item count) for the days since..until inclusive."""
    start, end = _day_start(since), _day_start(until + timedelta(days=1))
    margin = timedelta(days=1)
    ledger = _ledger_items(start - margin, end + margin)
    stripe_side = _stripe_items(start - margin, end + margin)

    def in_period(item: Item | None) -> bool:
        return item is not None and start <= item.at < end

    differences: list[dict[str, Any]] = []
    for key in sorted(set(ledger) | set(stripe_side)):
        ours, theirs = ledger.get(key), stripe_side.get(key)
        if not (in_period(ours) or in_period(theirs)):
            continue
        base = {"kind": key[0], "stripe_id": key[1]}
        if theirs is None:
            assert ours is not None
            differences.append(
                {
                    **base,
                    "problem": "missing_in_stripe",
                    "ledger_amount": str(ours.amount),
                    "ledger_transaction": ours.reference,
                }
            )
        elif ours is None:
            differences.append(
                {
                    **base,
                    "problem": "missing_in_ledger",
                    "stripe_amount": str(theirs.amount),
                    "balance_transaction": theirs.reference,
                }
            )
        elif ours.amount != theirs.amount:
            differences.append(
                {
                    **base,
                    "problem": "amount_mismatch",
                    "ledger_amount": str(ours.amount),
                    "stripe_amount": str(theirs.amount),
                    "ledger_transaction": ours.reference,
                    "balance_transaction": theirs.reference,
                }
            )
    count_ledger = sum(1 for item in ledger.values() if in_period(item))
    count_stripe = sum(1 for item in stripe_side.values() if in_period(item))
    return differences, count_ledger, count_stripe


def reconcile_stripe(*, since: date, until: date | None = None) -> ReconciliationRun:
    """Compare and store the result (also when Stripe could not be read: the run records the error)."""
    until = until or timezone.now().date()
    if until < since:
        raise ValueError("The end of the period is before its start.")
    run = ReconciliationRun.objects.create(since=since, until=until)
    try:
        differences, ledger_count, stripe_count = reconciliation_differences(since=since, until=until)
    except stripe_gateway.StripeError as exc:
        _finish(run, differences=[], ledger_count=0, stripe_count=0, error=str(exc))
        raise
    return _finish(run, differences=differences, ledger_count=ledger_count, stripe_count=stripe_count, error="")


@transaction.atomic(durable=True)
def _finish(
    run: ReconciliationRun, *, differences: list[dict[str, Any]], ledger_count: int, stripe_count: int, error: str
) -> ReconciliationRun:
    run.differences = differences
    run.ledger_count = ledger_count
    run.stripe_count = stripe_count
    run.error = error
    run.is_clean = not differences and not error
    run.finished_at = timezone.now()
    run.save(update_fields=["differences", "ledger_count", "stripe_count", "error", "is_clean", "finished_at"])
    if not run.is_clean:
        what = f"Stripe could not be read: {error}" if error else f"{len(differences)} difference(s) with Stripe"
        admin_alert(
            kind=RECONCILIATION_MISMATCH,
            title=f"Reconciliation {run.since} to {run.until}: {'failed' if error else 'differences found'}",
            body=f"{what}. The list is on the refunds and reconciliation page.",
            url_name="staff_wallet:refunds",
        )
    return run
