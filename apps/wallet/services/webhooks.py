"""Stripe events: stored once per event id, then processed by a Celery task that dispatches by type.

The webhook view verifies the signature and calls ``stripe_event_record``; the task calls
``stripe_event_process``. Status moves RECEIVED → PROCESSING → DONE / FAILED through conditional
UPDATEs, so two workers never process the same event at once. Every handler is idempotent (keyed by
the Stripe object id), so processing an event again (a retry, a replay) changes nothing.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.wallet import stripe_gateway
from apps.wallet.models import StripeEvent, TopUp
from apps.wallet.services import disputes, refunds, topups

logger = logging.getLogger(__name__)

Status = StripeEvent.Status
# A PROCESSING row older than this belongs to a worker that died; it may be claimed again.
STALE_PROCESSING = timedelta(minutes=15)
# A RECEIVED row older than this lost its task message (broker down at enqueue time).
STALE_RECEIVED = timedelta(minutes=5)


def _enqueue(event_pk: int) -> None:
    from apps.wallet.tasks import stripe_event_process_task

    stripe_event_process_task.delay(event_pk)


@transaction.atomic(durable=True)
def stripe_event_record(*, payload: dict[str, Any]) -> tuple[StripeEvent, bool]:
    """Store one verified event (once per Stripe event id) and enqueue its processing on commit.

    Returns (event, created). A duplicate delivery returns the stored row and enqueues nothing.
    """
    created_ts = payload.get("created")
    event, created = StripeEvent.objects.get_or_create(
        stripe_event_id=payload["id"],
        defaults={
            "type": payload.get("type", ""),
            "payload": payload,
            "stripe_created_at": datetime.fromtimestamp(created_ts, tz=UTC) if created_ts else None,
        },
    )
    if created:
        transaction.on_commit(partial(_enqueue, event.pk))
    return event, created


def _claim(event_pk: int) -> bool:
    now = timezone.now()
    claimable = Q(status__in=[Status.RECEIVED, Status.FAILED]) | Q(
        status=Status.PROCESSING, updated_at__lt=now - STALE_PROCESSING
    )
    return bool(
        StripeEvent.objects.filter(claimable, pk=event_pk).update(
            status=Status.PROCESSING, attempts=F("attempts") + 1, updated_at=now
        )
    )


def stripe_event_process(*, event_pk: int) -> StripeEvent | None:
    """Process one stored event. Returns None when another worker holds it or it is already done.

    On failure the row is FAILED with the error and the exception propagates (the task retries it).
    """
    if not _claim(event_pk):
        return None
    event = StripeEvent.objects.get(pk=event_pk)
    handler = HANDLERS.get(event.type)
    try:
        if handler is not None:
            handler(event.payload["data"]["object"], event.stripe_event_id)
    except Exception as exc:
        StripeEvent.objects.filter(pk=event_pk, status=Status.PROCESSING).update(
            status=Status.FAILED,
            error={
                "type": type(exc).__name__,
                "message": getattr(exc, "message", None) or str(exc),
                "traceback": traceback.format_exc(limit=8),
            },
            updated_at=timezone.now(),
        )
        raise
    now = timezone.now()
    StripeEvent.objects.filter(pk=event_pk, status=Status.PROCESSING).update(
        status=Status.DONE, error={}, processed_at=now, updated_at=now
    )
    event.refresh_from_db()
    return event


def stripe_events_process_received() -> int:
    """Process every RECEIVED event now, in this process (management use and tests). Returns how many."""
    count = 0
    for pk in StripeEvent.objects.filter(status=Status.RECEIVED).order_by("pk").values_list("pk", flat=True):
        if stripe_event_process(event_pk=pk) is not None:
            count += 1
    return count


def stripe_events_requeue_stale() -> int:
    """Re-enqueue events whose task message was lost or whose worker died. Returns how many."""
    now = timezone.now()
    stale = StripeEvent.objects.filter(
        Q(status=Status.RECEIVED, created_at__lt=now - STALE_RECEIVED)
        | Q(status=Status.PROCESSING, updated_at__lt=now - STALE_PROCESSING)
    ).values_list("pk", flat=True)
    pks = list(stale[:500])
    for pk in pks:
        _enqueue(pk)
    return len(pks)


def stripe_events_replay(*, since: datetime, until: datetime) -> dict[str, int]:
    """Fetch the events Stripe holds for [since, until] from its Events API and feed them through the
    same path as webhooks: each is stored once; new ones and failed ones are processed again."""
    stats = {"fetched": 0, "stored": 0, "requeued": 0, "already_done": 0}
    for event in stripe_gateway.events_iter(created_gte=int(since.timestamp()), created_lte=int(until.timestamp())):
        stats["fetched"] += 1
        stored, created = stripe_event_record(payload=event)
        if created:
            stats["stored"] += 1
        elif stored.status in (Status.FAILED, Status.RECEIVED):
            _enqueue(stored.pk)
            stats["requeued"] += 1
        else:
            stats["already_done"] += 1
    return stats


# --- dispatch --------------------------------------------------------------------------------------


def _checkout_completed(session: dict[str, Any], event_id: str) -> None:
    # Paid now (cards) → credit. Unpaid (a delayed method) → processing; async_payment_succeeded credits.
    topups.topup_credit(session=session, source="checkout.session.completed", stripe_event_id=event_id)


def _checkout_async_succeeded(session: dict[str, Any], event_id: str) -> None:
    topups.topup_credit(session=session, source="checkout.session.async_payment_succeeded", stripe_event_id=event_id)


def _checkout_async_failed(session: dict[str, Any], event_id: str) -> None:
    topups.topup_close(session=session, status=TopUp.Status.FAILED, stripe_event_id=event_id)


def _checkout_expired(session: dict[str, Any], event_id: str) -> None:
    topups.topup_close(session=session, status=TopUp.Status.EXPIRED, stripe_event_id=event_id)


def _call(service: Callable[..., Any], argument: str) -> Callable[[dict[str, Any], str], Any]:
    return lambda obj, event_id: service(**{argument: obj, "stripe_event_id": event_id})


HANDLERS: dict[str, Callable[[dict[str, Any], str], Any]] = {
    "checkout.session.completed": _checkout_completed,
    "checkout.session.async_payment_succeeded": _checkout_async_succeeded,
    "checkout.session.async_payment_failed": _checkout_async_failed,
    "checkout.session.expired": _checkout_expired,
    # payment_intent.succeeded deliberately has no handler: the Checkout events credit, once.
    "charge.refunded": _call(refunds.refunds_sync_from_charge, "charge"),
    "refund.created": _call(refunds.refund_apply_stripe_state, "refund"),
    "refund.updated": _call(refunds.refund_apply_stripe_state, "refund"),
    "refund.failed": _call(refunds.refund_apply_stripe_state, "refund"),
    "charge.refund.updated": _call(refunds.refund_apply_stripe_state, "refund"),
    "charge.dispute.created": _call(disputes.dispute_open, "dispute"),
    "charge.dispute.funds_withdrawn": _call(disputes.dispute_funds_withdrawn, "dispute"),
    "charge.dispute.funds_reinstated": _call(disputes.dispute_funds_reinstated, "dispute"),
    "charge.dispute.closed": _call(disputes.dispute_closed, "dispute"),
}
