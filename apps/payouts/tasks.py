from celery import shared_task

from .services import payouts_batch_weekly


@shared_task(name="payouts.batch_weekly", acks_late=True)
def payouts_batch_weekly_task() -> int:
    """The weekly payout batch: idempotent per reader and ISO week, safe on several workers at once."""
    return payouts_batch_weekly()
