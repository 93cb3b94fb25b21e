"""The shop's ledger invariant (registered with the wallet's ledger check in ShopConfig.ready)."""

from typing import Any

from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from apps.wallet.models import Posting, Transaction

from .constants import ORDER_SUBJECT
from .enums import OrderStatus
from .models import Order


def orders_paid_in_ledger() -> list[dict[str, Any]]:
    """Every order that was paid has exactly one ``shop_order`` transaction, which took its total from the buyer's
    money (``stripe:cash`` or the wallet); an order never paid has none."""
    paid = Transaction.objects.filter(kind="shop_order", subject_type=ORDER_SUBJECT, subject_id=OuterRef("pk"))
    taken = Posting.objects.filter(
        transaction__kind="shop_order",
        transaction__subject_type=ORDER_SUBJECT,
        transaction__subject_id=OuterRef("pk"),
        amount__lt=0,
    )
    rows = Order.objects.annotate(
        txns=Coalesce(Subquery(paid.values("subject_id").annotate(n=Count("pk")).values("n")[:1]), 0),
        taken=Subquery(taken.values("transaction__subject_id").annotate(t=Sum("amount")).values("t")[:1]),
    )
    never_paid = Q(status__in=[OrderStatus.PENDING, OrderStatus.CANCELED])
    bad = rows.filter(
        (never_paid & Q(txns__gt=0))
        | (~never_paid & (~Q(txns=1) | Q(taken__isnull=True) | ~Q(taken=F("total_amount") * -1)))
    ).values("pk", "status", "total_amount", "txns", "taken")[:100]
    return [
        {
            "check": "shop_orders_paid_in_ledger",
            "order": row["pk"],
            "status": row["status"],
            "total": str(row["total_amount"]),
            "transactions": row["txns"],
            "taken": str(row["taken"]),
        }
        for row in bad
    ]
