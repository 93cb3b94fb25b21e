"""Celery tasks of scheduled readings (explicit, stable names; ids only; idempotent, acknowledged late)."""

from celery import shared_task
from django.db import DatabaseError, OperationalError

RETRY_COUNTDOWN_SECONDS = 5


@shared_task(name="scheduling.reminders_send", bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=3)
def booking_reminders_send_task(self) -> dict:
    """The beat job (config/celery.py, every minute): the day-before and 15-minute reminders that are due.
    Safe on several workers at once: each reminder is claimed by a conditional UPDATE."""
    from apps.scheduling.services.reminders import booking_reminders_send

    try:
        sent = booking_reminders_send()
    except (OperationalError, DatabaseError) as exc:
        raise self.retry(exc=exc, countdown=RETRY_COUNTDOWN_SECONDS)
    return {"day": sent.day, "soon": sent.soon}
