from celery import shared_task

from .services import notification_email_send


@shared_task(bind=True, acks_late=True, max_retries=5, default_retry_delay=60)
def notification_email_send_task(self, notification_id: int) -> None:
    try:
        notification_email_send(notification_id=notification_id)
    except Exception as exc:
        raise self.retry(exc=exc)
