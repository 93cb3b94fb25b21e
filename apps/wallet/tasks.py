"""Celery tasks of the wallet app. Arguments are ids only; every task is idempotent."""

from celery import shared_task

from apps.wallet.services.ledger_check import ledger_check_run


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=3)
def ledger_check_task() -> int:
    """The nightly ledger check. Returns the id of the stored LedgerCheckRun."""
    return ledger_check_run(trigger="nightly").pk
