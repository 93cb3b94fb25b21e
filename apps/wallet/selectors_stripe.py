"""Reads of the card payment pages. A client only ever gets their own top-ups; admin reads are unscoped
and used by staff views only."""

from typing import Any

from django.db.models import Q, QuerySet

from apps.core.exceptions import NotFound
from apps.core.parsing import id_or_none
from apps.wallet.models import ReconciliationRun, Refund, StripeEvent, TopUp


def _topup_or_not_found(queryset: QuerySet[TopUp]) -> TopUp:
    found = queryset.first()
    if found is None:
        raise NotFound("That top-up does not exist.")
    return found


def topup_get_for_session(*, viewer: Any, session_id: str) -> TopUp:
    """The viewer's top-up paid through Checkout Session ``session_id`` (404 for anyone else's)."""
    return _topup_or_not_found(TopUp.objects.filter(user=viewer, stripe_checkout_session_id=session_id or "-"))


def topup_get(*, viewer: Any, topup_id: Any) -> TopUp:
    return _topup_or_not_found(TopUp.objects.filter(user=viewer, pk=topup_id))


def topups_paid_list(*, search: str = "") -> QuerySet[TopUp]:
    """Paid top-ups, newest first (admin)."""
    qs = TopUp.objects.filter(status=TopUp.Status.PAID).select_related("user")
    search = search.strip()
    if search:
        condition = Q(user__email__icontains=search) | Q(stripe_payment_intent_id=search)
        if (topup_id := id_or_none(search)) is not None:
            condition |= Q(pk=topup_id)
        qs = qs.filter(condition)
    return qs.order_by("-paid_at", "-pk")


def topup_get_admin(*, topup_id: Any) -> TopUp:
    return _topup_or_not_found(TopUp.objects.select_related("user").filter(pk=topup_id, status=TopUp.Status.PAID))


def refunds_recent_list(*, limit: int = 20) -> QuerySet[Refund]:
    return Refund.objects.select_related("user", "topup", "requested_by").order_by("-created_at")[:limit]


def stripe_events_failed_list(*, limit: int = 20) -> QuerySet[StripeEvent]:
    return StripeEvent.objects.filter(status=StripeEvent.Status.FAILED).order_by("-updated_at")[:limit]


def reconciliation_last() -> ReconciliationRun | None:
    """The latest finished reconciliation with Stripe (admin dashboard)."""
    return ReconciliationRun.objects.filter(finished_at__isnull=False).first()


def stripe_health_counts() -> dict[str, int]:
    """Numbers for the admin dashboard: events that failed to process or wait for their payment, refunds not
    yet settled by Stripe."""
    return {
        "failed_events": StripeEvent.objects.filter(status=StripeEvent.Status.FAILED).count(),
        "waiting_events": StripeEvent.objects.filter(status=StripeEvent.Status.PENDING).count(),
        "open_refunds": Refund.objects.filter(status__in=[Refund.Status.PENDING, Refund.Status.SUBMITTED]).count(),
    }
