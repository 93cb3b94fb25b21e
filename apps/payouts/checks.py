"""The payouts' ledger invariant: ``payouts:in_transit`` holds exactly the payouts on their way."""

from decimal import Decimal
from typing import Any

from django.db.models import Sum

from apps.wallet.models import Posting

from .selectors import in_transit_total


def in_transit_matches_pending() -> list[dict[str, Any]]:
    total = Posting.objects.filter(account__code="payouts:in_transit").aggregate(total=Sum("amount"))["total"]
    in_transit = total if total is not None else Decimal("0.00")
    pending = in_transit_total()
    if in_transit == pending:
        return []
    return [{"in_transit": str(in_transit), "pending_payouts": str(pending)}]
