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


@shared_task(name="scheduling.no_show_sweep", bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=3)
def booking_no_show_sweep_task(self) -> dict:
    """No-shows 10 minutes after the start, and bookings whose time ran out (config/celery.py, every minute).
    Safe on several workers at once: each booking is taken with SKIP LOCKED and re-checked, money moves keyed."""
    from apps.scheduling.services.attendance import booking_no_show_sweep

    try:
        result = booking_no_show_sweep()
    except (OperationalError, DatabaseError) as exc:
        raise self.retry(exc=exc, countdown=RETRY_COUNTDOWN_SECONDS)
    return {
        "reader_no_shows": result.reader_no_shows,
        "client_no_shows": result.client_no_shows,
        "completed": result.completed,
        "readings_ended": result.readings_ended,
    }
