"""Celery tasks of the wallet app. Arguments are ids only; every task is idempotent; names are explicit and
stable (the beat schedule keys on them). Stripe event processing and refund submission are outbox messages
(``wallet.stripe_event_process``, ``wallet.refund_submit``), not tasks: see services/webhooks.py and refunds.py."""

from celery import shared_task

from apps.wallet.services.ledger_check import ledger_check_run


@shared_task(
    name="wallet.ledger_check", acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=3
)
def ledger_check_task(trigger: str = "nightly") -> int:
    """The ledger check: nightly from the beat schedule, or "staff" when an admin runs it from the staff page.
    Returns the id of the stored LedgerCheckRun."""
    return ledger_check_run(trigger=trigger).pk


@shared_task(
    name="wallet.reconcile_stripe",
    acks_late=True,
    autoretry_for=(ConnectionError,),
    retry_backoff=True,
    max_retries=3,
)
def reconcile_stripe_task() -> int:
    """The nightly reconciliation of yesterday and today against Stripe. Returns the stored run's id."""
    from datetime import timedelta

    from django.utils import timezone

    from apps.wallet.services.reconciliation import reconcile_stripe

    today = timezone.now().date()
    return reconcile_stripe(since=today - timedelta(days=1), until=today).pk
