from celery import shared_task

from .services import deletions_run, exports_expire


@shared_task(name="privacy.deletions_run", acks_late=True)
def deletions_run_task() -> int:
    """Anonymise the accounts whose grace period is over (each in its own transaction, locked, re-checked)."""
    return deletions_run()


@shared_task(name="privacy.exports_expire", acks_late=True)
def exports_expire_task() -> int:
    """Delete the files of expired exports and give up on exports that never finished."""
    return exports_expire()
