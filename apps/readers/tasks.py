"""Celery tasks of the readers app (explicit, stable names). Online alerts are an outbox message
(``readers.online_alerts_send``), not a task: see services.reader_presence_set."""

from celery import shared_task

from .services import reader_presence_expire


@shared_task(name="readers.presence_expire", acks_late=True)
def reader_presence_expire_task() -> None:
    reader_presence_expire()
