"""Celery tasks of live readings. Arguments are ids only; every task is idempotent (minute and settlement
keys), acknowledged late (a killed worker's message is delivered again) and retried explicitly."""

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError, OperationalError

from apps.core.exceptions import DomainError

RETRY_COUNTDOWN_SECONDS = 2


@shared_task(name="readings.bill_tick", bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=5)
def session_bill_tick_task(self, session_id: int | None = None) -> dict:
    """The beat tick (config/celery.py): every reading, or one. Safe to run on several workers at once."""
    from apps.readings.constants import TICK_BATCH_SIZE
    from apps.readings.services import session_bill_tick

    batch_size = getattr(settings, "LIVESESSIONS_TICK_BATCH_SIZE", TICK_BATCH_SIZE)
    try:
        result = session_bill_tick(session_id=session_id, batch_size=batch_size)
    except (OperationalError, DatabaseError) as exc:
        raise self.retry(exc=exc, countdown=RETRY_COUNTDOWN_SECONDS)
    return {
        "charged": result.charged,
        "paused": result.paused,
        "resumed": result.resumed,
        "reconnecting": result.reconnecting,
        "ended": result.ended,
        "finalized": result.finalized,
    }


@shared_task(name="readings.finalize", bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=10)
def session_finalize_task(self, session_id: int) -> str:
    """Settle one ended reading right after it ends (the tick settles any whose message was lost)."""
    from apps.readings.services import session_finalize

    try:
        return session_finalize(session_id=session_id).state
    except (OperationalError, DatabaseError) as exc:
        raise self.retry(exc=exc, countdown=RETRY_COUNTDOWN_SECONDS * 2**self.request.retries)


@shared_task(name="readings.presence_signal", bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=5)
def session_presence_signal_task(self, signal_id: int) -> str | None:
    """Feed one room presence signal (connection event or NCS join/leave) into the reading's heartbeats."""
    from apps.readings.services.presence import session_presence_signal_apply

    try:
        return session_presence_signal_apply(signal_id=signal_id)
    except DomainError:
        return None
    except (OperationalError, DatabaseError) as exc:
        raise self.retry(exc=exc, countdown=RETRY_COUNTDOWN_SECONDS)
