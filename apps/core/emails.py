"""Every email the platform sends: a plain-text part and an HTML part in the brand layout.

An email is a pair of templates, ``<name>.txt`` and ``<name>.html``; the HTML one extends ``emails/base.html``
(the layout: dark page, pink script heading, gold rule, inline styles because mail clients ignore style
sheets). Links in emails are absolute and start with ``settings.SITE_URL``: ``site_link()`` builds them.
django-allauth's own emails use the same layout through our overrides of its templates
(``templates/account/email/`` and ``templates/mfa/email/``), which its adapter renders as text + HTML.
"""

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def site_link(path: str) -> str:
    """An absolute link for an email: ``SITE_URL`` + ``path`` (a path from ``reverse``); absolute URLs stay."""
    if path.startswith(("http://", "https://")):
        return path
    return settings.SITE_URL + (path if path.startswith("/") else f"/{path}")


def email_context(**extra: Any) -> dict[str, Any]:
    """What every email template may use, plus ``extra``."""
    return {
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "support_email": settings.SUPPORT_EMAIL,
        **extra,
    }


def email_render(*, template: str, context: dict[str, Any]) -> tuple[str, str]:
    """The text and HTML bodies of ``template`` (a name without extension) with the shared context."""
    full = email_context(**context)
    return render_to_string(f"{template}.txt", full).strip() + "\n", render_to_string(f"{template}.html", full)


def email_send(
    *,
    to: list[str],
    subject: str,
    template: str,
    context: dict[str, Any],
    attachments: Sequence[tuple[str, str, str]] = (),
) -> None:
    """Render and send one email (text with an HTML alternative). Callers run it after their change commits.

    ``attachments`` are ``(filename, content, mimetype)`` files, such as a calendar invite
    (``"text/calendar; method=REQUEST"``).
    """
    text, html = email_render(template=template, context=context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()), body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=to
    )
    message.attach_alternative(html, "text/html")
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    message.send()
