from celery import shared_task

from .services import reader_online_alerts_send, reader_presence_expire


@shared_task(bind=True, acks_late=True, max_retries=3, default_retry_delay=30)
def reader_online_alerts_send_task(self, reader_id: int) -> None:
    try:
        reader_online_alerts_send(reader_id=reader_id)
    except Exception as exc:
        raise self.retry(exc=exc)


@shared_task(acks_late=True)
def reader_presence_expire_task() -> None:
    reader_presence_expire()
