"""Celery tasks of the wallet app. Arguments are ids only; every task is idempotent."""

from celery import shared_task

from apps.wallet.services.ledger_check import ledger_check_run


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=3)
def ledger_check_task(trigger: str = "nightly") -> int:
    """The ledger check: nightly from the beat schedule, or "staff" when an admin runs it from the staff page.
    Returns the id of the stored LedgerCheckRun."""
    return ledger_check_run(trigger=trigger).pk


# --- Stripe ---------------------------------------------------------------------------------------

# Backoff between attempts (seconds): 10 s, 20 s, 40 s … capped at one hour.
STRIPE_RETRY_BASE_SECONDS = 10
STRIPE_MAX_RETRIES = 10


def _backoff(retries: int) -> int:
    return int(min(3600, STRIPE_RETRY_BASE_SECONDS * 2**retries))


@shared_task(bind=True, acks_late=True, max_retries=STRIPE_MAX_RETRIES)
def stripe_event_process_task(self, event_pk: int) -> str | None:
    """Process one stored Stripe event (see services.webhooks). Failures are retried with backoff."""
    from apps.wallet.services.webhooks import stripe_event_process

    try:
        event = stripe_event_process(event_pk=event_pk)
    except Exception as exc:
        raise self.retry(exc=exc, countdown=_backoff(self.request.retries))
    return event.status if event is not None else None


@shared_task(bind=True, acks_late=True, max_retries=STRIPE_MAX_RETRIES)
def refund_submit_task(self, refund_pk: int) -> str:
    """Send one pending refund to Stripe; a network or server error is retried with backoff."""
    from apps.wallet.services.refunds import RefundSubmitRetry, refund_submit

    try:
        return refund_submit(refund_pk=refund_pk).status
    except RefundSubmitRetry as exc:
        raise self.retry(exc=exc, countdown=_backoff(self.request.retries))


@shared_task(acks_late=True)
def stripe_outbox_sweep_task() -> dict[str, int]:
    """Re-enqueue Stripe events and refunds whose task message was lost (broker down, worker killed), and
    events waiting for their payment whose backoff is over (admins are told of any waiting over an hour)."""
    from apps.wallet.services.refunds import refunds_submit_pending
    from apps.wallet.services.webhooks import stripe_events_requeue_stale, stripe_events_retry_pending

    return {
        "events": stripe_events_requeue_stale(),
        "refunds": refunds_submit_pending(),
        "pending_events": stripe_events_retry_pending(),
    }


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=3)
def reconcile_stripe_task() -> int:
    """The nightly reconciliation of yesterday and today against Stripe. Returns the stored run's id."""
    from datetime import timedelta

    from django.utils import timezone

    from apps.wallet.services.reconciliation import reconcile_stripe

    today = timezone.now().date()
    return reconcile_stripe(since=today - timedelta(days=1), until=today).pk
