"""Stripe events: stored once per event id, then processed through the outbox, dispatched by type and purpose.

The webhook view verifies the signature and calls ``stripe_event_record``, which stores the event and its
outbox message (``wallet.stripe_event_process``) in one transaction: a broker outage or a killed worker delays
processing, never loses it, and a failure is retried with the outbox's one backoff policy. Status moves
RECEIVED → PROCESSING → DONE / FAILED through conditional UPDATEs, so two workers never process the same event
at once. Every handler is idempotent (keyed by the Stripe object id), so processing an event again (a retry, a
replay, an at-least-once redelivery) changes nothing.

Events about a Checkout Session, PaymentIntent or charge go to the handlers of the object's purpose
(``apps.wallet.stripe_purposes``): only a wallet top-up reaches ``topup_credit``; an unknown purpose is
recorded on the event and ignored. Refund events go to the refund's purpose when it registered handlers for them
(a shop refund), and otherwise to the wallet's refund handlers (a top-up's refund, or one made in the Dashboard);
those offer a refund of no top-up to the domains registered with ``stripe_unmatched_refund_register``.

An event about a payment whose top-up is not credited yet (a refund or dispute that came first) is PENDING,
not done: it is processed again right after that top-up is credited (``topups.topup_credit``) and, failing
that, by the outbox's retries. One still waiting after an hour is reported to the admins, once.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import CharField, Exists, F, OuterRef, Q
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone

from apps.core.models import OutboxMessage
from apps.core.outbox import outbox_enqueue, outbox_handler
from apps.core.parsing import json_contains_nul
from apps.core.services import audit_log_record
from apps.notifications.registry import notification_kind_register
from apps.wallet import stripe_gateway
from apps.wallet.alerts import STRIPE_EVENT_ALERT_ATTEMPTS, STRIPE_EVENT_FAILING, admin_alert
from apps.wallet.locks import topups_for_update
from apps.wallet.models import StripeEvent, TopUp
from apps.wallet.services import disputes, payments, refunds, topups
from apps.wallet.services.payments import PaymentNotYetCredited
from apps.wallet.stripe_purposes import (
    PURPOSE_EVENT_TYPES,
    REFUND_EVENT_TYPES,
    TOPUP,
    stripe_purpose_handler,
    stripe_purpose_register,
)

logger = logging.getLogger(__name__)

Status = StripeEvent.Status
# A PROCESSING row older than this belongs to a worker that died; it may be claimed again.
STALE_PROCESSING = timedelta(minutes=15)
# A PENDING event's next try (shown to admins; the outbox's backoff decides when it runs) …
PENDING_RETRY_BASE = timedelta(minutes=1)
PENDING_RETRY_MAX = timedelta(minutes=30)
# … and it is reported to the admins once it has waited this long.
PENDING_ALERT_AFTER = timedelta(hours=1)
UNMATCHED_EVENT_KIND = notification_kind_register(
    "account.stripe_event_unmatched", label="A Stripe event is waiting for its payment"
)


class StripeEventWaiting(Exception):
    """The event waits for its payment's top-up, or another worker is processing it: the outbox tries again."""


def _process_enqueue(event_pk: int, *, dedupe_key: str) -> None:
    """Record the outbox message that processes the event. Inner helper: the caller holds the transaction."""
    outbox_enqueue(name=topups.STRIPE_EVENT_PROCESS, kwargs={"event_pk": event_pk}, dedupe_key=dedupe_key)


# Unix times a datetime can hold (up to the last second of year 9999).
_UNIX_TIME_MAX = 253_402_300_799


def stripe_event_payload_problem(payload: Any) -> str:
    """Why a verified webhook body cannot be stored as a Stripe event ("" when it can). The signature proves who
    sent it, not its shape; a body Stripe would never send is refused with a 400 rather than stored half-broken."""
    if not isinstance(payload, dict) or payload.get("object") != "event":
        return "Not a Stripe event."
    event_id, event_type = payload.get("id"), payload.get("type", "")
    id_length = StripeEvent._meta.get_field("stripe_event_id").max_length or 0
    type_length = StripeEvent._meta.get_field("type").max_length or 0
    if not isinstance(event_id, str) or not 0 < len(event_id) <= id_length:
        return "The event's id is not a Stripe id."
    if not isinstance(event_type, str) or len(event_type) > type_length:
        return "The event's type is not a Stripe event type."
    created = payload.get("created")
    if created is not None and (
        isinstance(created, bool) or not isinstance(created, int) or not 0 <= created <= _UNIX_TIME_MAX
    ):
        return "The event's creation time is not a Unix time."
    if not isinstance(payload.get("livemode", False), bool):
        return "The event's livemode is not true or false."
    data = payload.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        return "The event has no object."
    if json_contains_nul(payload):
        return "The event contains a NUL character."
    return ""


@transaction.atomic(durable=True)
def stripe_event_record(*, payload: dict[str, Any]) -> tuple[StripeEvent, bool]:
    """Store one verified event (once per Stripe event id) and, in the same transaction, the outbox message
    that processes it.

    Returns (event, created). A duplicate delivery returns the stored row and enqueues nothing. The caller
    refuses a payload ``stripe_event_payload_problem`` finds fault with.
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
        _process_enqueue(event.pk, dedupe_key=f"stripe-event:{event.pk}")
    return event, created


def _claim(event_pk: int) -> bool:
    now = timezone.now()
    claimable = Q(status__in=[Status.RECEIVED, Status.FAILED, Status.PENDING]) | Q(
        status=Status.PROCESSING, updated_at__lt=now - STALE_PROCESSING
    )
    return bool(
        StripeEvent.objects.filter(claimable, pk=event_pk).update(
            status=Status.PROCESSING, attempts=F("attempts") + 1, updated_at=now
        )
    )


def stripe_event_process(*, event_pk: int, _parked_once: bool = False) -> StripeEvent | None:
    """Process one stored event. Returns None when another worker holds it or it is already done.

    On failure the row is FAILED with the error and the exception propagates (its outbox message retries it
    with backoff).
    """
    if not _claim(event_pk):
        return None
    event = StripeEvent.objects.get(pk=event_pk)
    obj = event.payload["data"]["object"]
    ignored: dict[str, str] = {}
    if event.type in PURPOSE_EVENT_TYPES:
        purpose, handler = stripe_purpose_handler(event.type, obj)
        if handler is None:
            ignored = {"ignored": "purpose", "purpose": purpose, "message": _ignored_message(event, purpose)}
            logger.info("Stripe event %s: %s", event.stripe_event_id, ignored["message"])
    else:
        handler = HANDLERS.get(event.type)
        if event.type in REFUND_EVENT_TYPES:
            # A refund whose purpose handles refund events (a shop refund) goes there; any other to the wallet.
            handler = stripe_purpose_handler(event.type, obj)[1] or handler
    try:
        if handler is not None:
            handler(obj, event.stripe_event_id)
    except PaymentNotYetCredited as waiting:
        if _pending(event, waiting) or _parked_once:
            event.refresh_from_db()
            return event
        return stripe_event_process(event_pk=event_pk, _parked_once=True)  # credited meanwhile: process it now
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
        if event.attempts == STRIPE_EVENT_ALERT_ATTEMPTS:
            _alert_failing(event, exc)
        raise
    now = timezone.now()
    StripeEvent.objects.filter(pk=event_pk, status=Status.PROCESSING).update(
        status=Status.DONE, error=ignored, processed_at=now, updated_at=now
    )
    event.refresh_from_db()
    return event


@transaction.atomic(durable=True)
def _alert_failing(event: StripeEvent, exc: Exception) -> None:
    """The event failed for the tenth time: tell the admins, once (only this attempt number alerts)."""
    message = getattr(exc, "message", None) or str(exc)
    audit_log_record(
        actor=None,
        action="wallet.stripe_event_failing",
        target=event,
        details={"type": event.type, "attempts": event.attempts, "error": message[:500]},
    )
    admin_alert(
        kind=STRIPE_EVENT_FAILING,
        title=f"Stripe event {event.stripe_event_id} failed {event.attempts} times",
        body=f"{event.type}: {type(exc).__name__}: {message[:500]}. It is still retried; see the failed events list.",
        url_name="staff_wallet:refunds",
    )


def _ignored_message(event: StripeEvent, purpose: str) -> str:
    what = f"purpose {purpose!r}" if purpose else "no purpose in its metadata"
    return f"Ignored: {event.type} about {event.payload['data']['object'].get('id', '?')} has {what}."


def _pending_delay(attempts: int) -> timedelta:
    return min(PENDING_RETRY_MAX, PENDING_RETRY_BASE * 2 ** max(0, attempts - 1))


@transaction.atomic(durable=True)
def _pending(event: StripeEvent, waiting: PaymentNotYetCredited) -> bool:
    """Park the event until its top-up is credited, and teach the top-up the ids the event named. False when the
    top-up was credited meanwhile (the event is RECEIVED again, to be processed at once).

    Under the top-up's row lock, which ``topup_credit`` holds until it commits: either the credit commits first
    and is seen here, or this commits first and the credit's release finds the event PENDING.
    """
    now = timezone.now()
    topup = None
    if waiting.topup_id is not None:
        topup = topups_for_update().filter(pk=waiting.topup_id).first()
    if topup is not None:
        changed = []
        if waiting.payment_intent_id and not topup.stripe_payment_intent_id:
            topup.stripe_payment_intent_id = waiting.payment_intent_id
            changed.append("stripe_payment_intent_id")
        if waiting.charge_id and not topup.stripe_charge_id:
            topup.stripe_charge_id = waiting.charge_id
            changed.append("stripe_charge_id")
        if changed:
            topup.save(update_fields=[*changed, "updated_at"])
    credited = topup is not None and topup.status == TopUp.Status.PAID
    StripeEvent.objects.filter(pk=event.pk, status=Status.PROCESSING).update(
        status=Status.RECEIVED if credited else Status.PENDING,
        payment_intent_id=waiting.payment_intent_id,
        charge_id=waiting.charge_id,
        next_attempt_at=None if credited else now + _pending_delay(event.attempts),
        error={} if credited else {"type": "PaymentNotYetCredited", "message": str(waiting)},
        updated_at=now,
    )
    return not credited


@outbox_handler(topups.STRIPE_EVENT_PROCESS)
def stripe_event_process_message(*, event_pk: int) -> None:
    """Outbox handler: process one stored event. Done once the event is done; raises (the outbox retries with
    backoff) while it waits for its payment or another worker holds it; a failure propagates and is retried."""
    stripe_event_process(event_pk=event_pk)
    event = StripeEvent.objects.get(pk=event_pk)
    if event.status == Status.DONE:
        return
    if event.status == Status.PENDING:
        stripe_events_alert_unmatched(event_pk=event_pk)
        raise StripeEventWaiting(event.error.get("message") or "Waiting for the payment's top-up to be credited.")
    raise StripeEventWaiting(f"Stripe event {event.stripe_event_id} is {event.status}; trying again later.")


def stripe_events_process_received() -> int:
    """Process every RECEIVED event now, in this process (management use and tests), including the ones an
    event processed here released (a top-up credited releases the events that waited for it). Returns how many."""
    count = 0
    for _ in range(10):  # each pass can only release events that wait for a payment: a few passes suffice
        pks = list(StripeEvent.objects.filter(status=Status.RECEIVED).order_by("pk").values_list("pk", flat=True))
        if not pks:
            break
        for pk in pks:
            if stripe_event_process(event_pk=pk) is not None:
                count += 1
    return count


def stripe_events_alert_unmatched(*, now: datetime | None = None, event_pk: int | None = None) -> int:
    """Tell the admins about events (all, or one) still waiting for their payment an hour after they arrived,
    once each. The outbox handler calls it on every retry of a waiting event."""
    now = now or timezone.now()
    old = StripeEvent.objects.filter(
        status=Status.PENDING, alerted_at__isnull=True, created_at__lt=now - PENDING_ALERT_AFTER
    ).order_by("pk")
    if event_pk is not None:
        old = old.filter(pk=event_pk)
    count = 0
    for pk in list(old.values_list("pk", flat=True)[:100]):
        if _alert_unmatched(event_pk=pk, now=now):
            count += 1
    return count


@transaction.atomic(durable=True)
def _alert_unmatched(*, event_pk: int, now: datetime) -> bool:
    from django.urls import reverse

    from apps.notifications.services import notify_admins

    claimed = StripeEvent.objects.filter(pk=event_pk, status=Status.PENDING, alerted_at__isnull=True).update(
        alerted_at=now
    )
    if not claimed:
        return False
    event = StripeEvent.objects.get(pk=event_pk)
    payment = event.payment_intent_id or event.charge_id or "an unknown payment"
    logger.error(
        "Stripe event %s (%s) still waits for the top-up of %s",
        event.stripe_event_id,
        event.type,
        payment,
        extra={"stripe_event_id": event.stripe_event_id, "payment": payment},
    )
    audit_log_record(
        actor=None,
        action="wallet.stripe_event_unmatched",
        target=event,
        details={"type": event.type, "payment": payment, "since": event.created_at.isoformat()},
    )
    notify_admins(
        kind=UNMATCHED_EVENT_KIND,
        title="A Stripe event is waiting for its payment",
        body=(
            f"Stripe event {event.stripe_event_id} ({event.type}) arrived more than an hour ago for {payment}, "
            "and no credited wallet top-up matches it yet. Its money is not booked until one does."
        ),
        url=reverse("staff_wallet:refunds"),
    )
    return True


def stripe_events_adopt() -> int:
    """Give an outbox message to every unfinished event that has none (events stored before processing moved
    onto the outbox, whose Celery messages the old sweep re-sent). Safe to run again. Returns how many."""
    has_message = OutboxMessage.objects.annotate(target=KT("kwargs__event_pk")).filter(
        name=topups.STRIPE_EVENT_PROCESS, target=Cast(OuterRef("pk"), output_field=CharField())
    )
    unfinished = StripeEvent.objects.exclude(status=Status.DONE).exclude(Exists(has_message))
    pks = list(unfinished.order_by("pk").values_list("pk", flat=True))
    for pk in pks:
        _requeue(pk, dedupe_key=f"stripe-event-adopt:{pk}")
    return len(pks)


@transaction.atomic(durable=True)
def _requeue(event_pk: int, *, dedupe_key: str) -> None:
    _process_enqueue(event_pk, dedupe_key=dedupe_key)


def stripe_events_replay(*, since: datetime, until: datetime) -> dict[str, int]:
    """Fetch the events Stripe holds for [since, until] from its Events API and feed them through the
    same path as webhooks: each is stored once; new ones and failed ones are processed again."""
    stats = {"fetched": 0, "stored": 0, "requeued": 0, "already_done": 0}
    for event in stripe_gateway.events_iter(created_gte=int(since.timestamp()), created_lte=int(until.timestamp())):
        stats["fetched"] += 1
        stored, created = stripe_event_record(payload=event)
        if created:
            stats["stored"] += 1
        elif stored.status in (Status.FAILED, Status.RECEIVED, Status.PENDING):
            _requeue(stored.pk, dedupe_key=f"stripe-event-replay:{stored.pk}:{timezone.now().isoformat()}")
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


@transaction.atomic(durable=True)
def _payment_ids_record(obj: dict[str, Any], event_id: str) -> None:
    payments.payment_ids_record(obj=obj)


def _call(service: Callable[..., Any], argument: str) -> Callable[[dict[str, Any], str], Any]:
    return lambda obj, event_id: service(**{argument: obj, "stripe_event_id": event_id})


stripe_purpose_register(
    TOPUP,
    handlers={
        "checkout.session.completed": _checkout_completed,
        "checkout.session.async_payment_succeeded": _checkout_async_succeeded,
        "checkout.session.async_payment_failed": _checkout_async_failed,
        "checkout.session.expired": _checkout_expired,
        # payment_intent.succeeded and charge.succeeded never credit (the Checkout events do, once): they only
        # teach the top-up its PaymentIntent and charge ids, so refunds and disputes naming those find it.
        "payment_intent.succeeded": _payment_ids_record,
        "charge.succeeded": _payment_ids_record,
    },
)

# Events about refunds and disputes: they find their payment by its ids (``payments.payment_ref_resolve``), and
# one that is not a wallet top-up's is ignored there. A refund event whose refund names a purpose with a refund
# handler (``REFUND_EVENT_TYPES``, e.g. the shop's) goes to that handler instead.
HANDLERS: dict[str, Callable[[dict[str, Any], str], Any]] = {
    "charge.refunded": _call(refunds.refunds_sync_from_charge, "charge"),
    "refund.created": _call(refunds.refund_apply_stripe_state, "refund"),
    "refund.updated": _call(refunds.refund_apply_stripe_state, "refund"),
    "refund.failed": _call(refunds.refund_apply_stripe_state, "refund"),
    "charge.refund.updated": _call(refunds.refund_apply_stripe_state, "refund"),
    "charge.dispute.created": _call(disputes.dispute_open, "dispute"),
    "charge.dispute.updated": _call(disputes.dispute_open, "dispute"),
    "charge.dispute.funds_withdrawn": _call(disputes.dispute_funds_withdrawn, "dispute"),
    "charge.dispute.funds_reinstated": _call(disputes.dispute_funds_reinstated, "dispute"),
    "charge.dispute.closed": _call(disputes.dispute_closed, "dispute"),
}


def stripe_event_handler_register(event_type: str, handler: Callable[[dict[str, Any], str], Any]) -> None:
    """Route events of ``event_type`` (not dispatched by purpose: Connect accounts, transfers, payouts) to
    ``handler(object, stripe_event_id)``, which must be idempotent. Called from an app's ``AppConfig.ready()``;
    a type already handled by another function is refused at start-up."""
    from django.core.exceptions import ImproperlyConfigured

    if event_type in PURPOSE_EVENT_TYPES:
        raise ImproperlyConfigured(f"{event_type} is dispatched by the purpose of its object.")
    existing = HANDLERS.get(event_type)
    if existing is not None and getattr(existing, "__qualname__", None) != getattr(handler, "__qualname__", None):
        raise ImproperlyConfigured(f"Stripe event type {event_type} already has a handler.")
    HANDLERS[event_type] = handler
