"""Emails about accounts. Sent from Celery tasks, after the change they report is committed."""

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from .enums import ApplicationStatus
from .models import ReaderApplication

SENT_MARK_SECONDS = 14 * 24 * 3600


def reader_application_decision_email_send(*, application_id: int) -> None:
    """Tell the applicant the decision on their application (does nothing while it is still pending)."""
    application = ReaderApplication.objects.select_related("applicant").get(pk=application_id)
    if application.status == ApplicationStatus.PENDING:
        return
    # A redelivered task (acks_late) must not email the same decision twice.
    sent_key = f"accounts:reader-application-decision-emailed:{application.pk}:{application.status}"
    if cache.get(sent_key):
        return
    context = {
        "application": application,
        "applicant": application.applicant,
        "is_approved": application.status == ApplicationStatus.APPROVED,
        "status_url": settings.SITE_URL + reverse("accounts:reader_application"),
        "dashboard_url": settings.SITE_URL + reverse("dashboards:home"),
        "site_name": settings.SITE_NAME,
    }
    subject = render_to_string("accounts/emails/reader_application_decision_subject.txt", context).strip()
    body = render_to_string("accounts/emails/reader_application_decision_body.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [application.applicant.email])
    cache.set(sent_key, True, timeout=SENT_MARK_SECONDS)
