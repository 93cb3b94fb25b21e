"""Emails about accounts: the reader-application decision (an outbox message recorded with the decision, so a
broker outage or a killed worker delays it but never loses it), and the adapter through which django-allauth
sends its emails (sign-up confirmation, password reset, security notices) in the brand layout."""

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse

from apps.core.emails import email_context, email_send, site_link
from apps.core.outbox import outbox_handler
from apps.core.services import client_ip

from .enums import ApplicationStatus
from .models import ReaderApplication

SENT_MARK_SECONDS = 14 * 24 * 3600
DECISION_EMAIL = "accounts.reader_application_decision_email"


class AccountAdapter(DefaultAccountAdapter):
    """allauth renders our templates (templates/account/email/, templates/mfa/email/) as a text part plus an
    HTML part; this gives them the context every email template uses (site name, SITE_URL).

    allauth's rate limits and its record of sessions ask the adapter for the client's address: it is the one the
    rest of the site uses (``apps.core.services.client_ip``, behind ``TRUSTED_PROXY_COUNT`` proxies), so a burst
    of failed logins from one visitor never locks out everybody behind the same router."""

    def get_client_ip(self, request: HttpRequest) -> str:
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine the client's address.")
        return ip

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        super().send_mail(template_prefix, email, email_context(**context))


@outbox_handler(DECISION_EMAIL)
def reader_application_decision_email_send(*, application_id: int) -> None:
    """Tell the applicant the decision on their application (does nothing while it is still pending).

    Marked sent only after the mail server took it; a failure raises and the outbox retries with backoff."""
    application = ReaderApplication.objects.select_related("applicant").get(pk=application_id)
    if application.status == ApplicationStatus.PENDING:
        return
    # A message run again (a worker killed after sending) must not email the same decision twice.
    sent_key = f"accounts:reader-application-decision-emailed:{application.pk}:{application.status}"
    if cache.get(sent_key):
        return
    is_approved = application.status == ApplicationStatus.APPROVED
    context = {
        "application": application,
        "applicant": application.applicant,
        "is_approved": is_approved,
        "action_url": site_link(reverse("dashboards:home" if is_approved else "accounts:reader_application")),
        "action_label": "Open your reader dashboard" if is_approved else "See your application",
    }
    subject = render_to_string("accounts/emails/reader_application_decision_subject.txt", email_context(**context))
    email_send(
        to=[application.applicant.email],
        subject=subject,
        template="accounts/emails/reader_application_decision",
        context=context,
    )
    cache.set(sent_key, True, timeout=SENT_MARK_SECONDS)
