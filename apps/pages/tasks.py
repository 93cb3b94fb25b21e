"""Support emails, sent after the ticket or reply has committed. Each task is safe to run twice."""

from smtplib import SMTPException

from celery import shared_task

from . import services

_RETRY = {
    "acks_late": True,
    "autoretry_for": (SMTPException, OSError),
    "retry_backoff": 30,
    "retry_backoff_max": 3600,
    "max_retries": 8,
}


@shared_task(**_RETRY)
def support_ticket_send_confirmation_task(ticket_id: int) -> None:
    services.support_ticket_send_confirmation(ticket_id=ticket_id)


@shared_task(**_RETRY)
def support_ticket_notify_support_task(ticket_id: int) -> None:
    services.support_ticket_notify_support(ticket_id=ticket_id)


@shared_task(**_RETRY)
def support_reply_send_email_task(reply_id: int) -> None:
    services.support_reply_send_email(reply_id=reply_id)
