"""Celery tasks of the core app: the outbox dispatcher and its sweep. Names are explicit and stable."""

from celery import shared_task

from .outbox import outbox_dispatch, outbox_drain


@shared_task(name="core.outbox_dispatch", acks_late=True, ignore_result=True)
def outbox_dispatch_task(message_id: int) -> None:
    """Run one outbox message right after the transaction that recorded it committed."""
    outbox_dispatch(message_id=message_id)


@shared_task(name="core.outbox_sweep", acks_late=True, ignore_result=True)
def outbox_sweep_task() -> int:
    """Run every due outbox message: first attempts the broker lost, retries whose backoff is over."""
    return outbox_drain()
