from celery import shared_task

from .services.streams import streams_timeout


@shared_task(name="live.streams_timeout", acks_late=True, autoretry_for=(Exception,), max_retries=3, retry_backoff=True)
def streams_timeout_task() -> int:
    """End live streams whose host has been silent for two minutes (idempotent, SKIP LOCKED)."""
    return streams_timeout()
