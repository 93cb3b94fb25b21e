from smtplib import SMTPException

from celery import shared_task

from .emails import reader_application_decision_email_send


@shared_task(acks_late=True, autoretry_for=(SMTPException, OSError), retry_backoff=True, max_retries=5)
def reader_application_decision_email_task(application_id: int) -> None:
    reader_application_decision_email_send(application_id=application_id)
