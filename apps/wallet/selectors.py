"""Reads of the wallet app. Permission scoping happens here: a viewer only ever gets their own rows."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q, QuerySet, Sum

from apps.core.exceptions import NotFound
from apps.core.memo import shared_read
from apps.wallet.enums import TransactionKind
from apps.wallet.models import Account, LedgerCheckRun, Posting, Transaction


def balance_of(account: Account) -> Decimal:
    """The balance of ``account`` derived from its postings: the truth the cached balance must equal."""
    total = Posting.objects.filter(account=account).aggregate(total=Sum("amount"))["total"]
    return total if total is not None else Decimal("0.00")


def wallet_balance(*, user: Any) -> Decimal:
    """The cached balance of ``user``'s client wallet (zero when there is none yet)."""
    balance = Account.objects.filter(code=f"wallet:{user.pk}").values_list("balance", flat=True).first()
    return balance if balance is not None else Decimal("0.00")


OWN_ACCOUNTS = ("wallet", "earnings")


def wallet_entry_list(*, viewer: Any, kind: str | None = None, account: str = "wallet") -> QuerySet[Posting]:
    """The viewer's own history of one of their accounts (``wallet``, or ``earnings`` for a reader): one posting
    per transaction (signed for that account), newest first."""
    if account not in OWN_ACCOUNTS:
        raise ValueError(f"Unknown own account {account!r}.")
    entries = (
        Posting.objects.filter(account__code=f"{account}:{viewer.pk}", account__user=viewer)
        .select_related("transaction")
        .order_by("-transaction__created_at", "-transaction_id")
    )
    if kind:
        entries = entries.filter(transaction__kind=kind)
    return entries


def wallet_entry_get(*, viewer: Any, transaction_id: int) -> Posting:
    """One transaction of the viewer's wallet or earnings; anyone else's answers 404."""
    entry = (
        Posting.objects.filter(
            account__code__in=[f"{account}:{viewer.pk}" for account in OWN_ACCOUNTS],
            account__user=viewer,
            transaction_id=transaction_id,
        )
        .select_related("transaction", "account")
        .order_by("account__kind")
        .first()
    )
    if entry is None:
        raise NotFound("That transaction does not exist.")
    return entry


@shared_read
def earnings_balance(*, user: Any) -> Decimal:
    """The cached balance of ``user``'s reader earnings account (zero when there is none yet)."""
    balance = Account.objects.filter(code=f"earnings:{user.pk}").values_list("balance", flat=True).first()
    return balance if balance is not None else Decimal("0.00")


@dataclass(frozen=True)
class EarningSource:
    """One kind of ledger transaction that pays a reader, as the reader's dashboard and the analytics name it."""

    key: str
    label: str
    kind: Any  # a TransactionKind


# Where a reader's earnings come from ("earnings by source"), by the kind of the transaction that credited them:
# the one list both the reader dashboard and the analytics pages read.
EARNING_SOURCES = (
    EarningSource("readings", "Readings", TransactionKind.SESSION_SETTLEMENT),
    EarningSource("bookings", "Scheduled readings", TransactionKind.BOOKING),
    EarningSource("paid_replies", "Paid replies", TransactionKind.PAID_REPLY),
    EarningSource("gifts", "Livestream gifts", TransactionKind.GIFT),
    EarningSource("tickets", "Livestream tickets", TransactionKind.TICKET),
    EarningSource("shop", "Shop", TransactionKind.SHOP_ORDER),
)
EARNING_KINDS = frozenset(source.kind for source in EARNING_SOURCES)


def earnings_by_source(*, user: Any) -> dict[str, Any]:
    """What ``user`` earned as a reader, by source, summed from the credits to their earnings account (one query).

    Sources are the transaction kinds that pay a reader (``EARNING_SOURCES``), plus the adjustments an admin
    credited. Debits (payouts, refund and chargeback clawbacks) are not earnings and are left out, and so are the
    credits that undo them (a payout, refund or chargeback returned): counting those would count the same money
    as earned twice.
    """
    rows = (
        Posting.objects.filter(
            account__code=f"earnings:{user.pk}",
            amount__gt=0,
            transaction__kind__in=sorted({*EARNING_KINDS, TransactionKind.ADJUSTMENT}),
        )
        .values("transaction__kind")
        .annotate(total=Sum("amount"))
    )
    totals = {row["transaction__kind"]: row["total"] for row in rows}
    sources = [
        {"kind": str(source.kind), "label": source.label, "amount": totals.pop(source.kind, Decimal("0.00"))}
        for source in EARNING_SOURCES
    ]
    adjusted = totals.pop(TransactionKind.ADJUSTMENT, Decimal("0.00"))
    if adjusted:
        sources.append({"kind": "adjustment", "label": "Adjustments by SoulSeer", "amount": adjusted})
    return {"sources": sources, "total": sum((source["amount"] for source in sources), Decimal("0.00"))}


def user_ledger_list(*, user: Any, kind: str | None = None) -> QuerySet[Transaction]:
    """Admin view of one user's ledger: every transaction on their accounts or about them, with postings."""
    transactions = (
        Transaction.objects.filter(Q(postings__account__user=user) | Q(user=user))
        .distinct()
        .select_related("actor")
        .prefetch_related(Prefetch("postings", queryset=Posting.objects.select_related("account").order_by("pk")))
        .order_by("-created_at", "-id")
    )
    if kind:
        transactions = transactions.filter(kind=kind)
    return transactions


def user_account_list(*, user: Any) -> QuerySet[Account]:
    return Account.objects.filter(user=user).order_by("kind", "pk")


def ledger_check_last() -> LedgerCheckRun | None:
    """The most recent finished ledger check."""
    return LedgerCheckRun.objects.filter(finished_at__isnull=False).order_by("-started_at", "-id").first()
