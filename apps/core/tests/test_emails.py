"""Every email: the brand's own words, an HTML part in the brand layout, a plain-text part, links to SITE_URL."""

import re
from pathlib import Path
from types import SimpleNamespace

import allauth
import pytest
from django.conf import settings
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone

from apps.accounts.tests.factories import UserFactory
from apps.core.emails import email_render

ROOT = Path(settings.BASE_DIR)
ALLAUTH_TEMPLATES = Path(allauth.__file__).parent / "templates"
STOCK_WORDING = ("example.com", "Thank you for using", "Hello from", "You're receiving this", "Please reauthenticate")
SITE_LINK = re.compile(r'href="([^"]+)"')


def _email_templates() -> list[str]:
    """Every email body template (without extension): ours under apps/ and the allauth ones we override."""
    names = set()
    for path in ROOT.glob("apps/*/templates/*/email*/*.txt"):
        if not path.name.endswith("_subject.txt"):
            names.add(str(path.relative_to(path.parents[2]).with_suffix("")))
    for folder in ("account/email", "mfa/email"):
        for path in (ALLAUTH_TEMPLATES / folder).glob("*_message.txt"):
            if path.stem != "base_message":  # the layout allauth's emails extend, not an email
                names.add(f"{folder}/{path.stem}")
    return sorted(names)


def _context() -> dict:
    """Everything any email template may ask for, with links built the way the senders build them."""
    now = timezone.now()
    return {
        "email": "selene@moonmail.test",
        "user": SimpleNamespace(email="selene@moonmail.test"),
        "activate_url": f"{settings.SITE_URL}/accounts/confirm-email/KEY/",
        "password_reset_url": f"{settings.SITE_URL}/accounts/password/reset/key/UID-KEY/",
        "signup_url": f"{settings.SITE_URL}/accounts/signup/",
        "code": "",
        "from_email": "old@moonmail.test",
        "to_email": "new@moonmail.test",
        "deleted_email": "old@moonmail.test",
        "ip": "203.0.113.7",
        "user_agent": "Firefox",
        "timestamp": now,
        "notification": SimpleNamespace(title="Selene is online now", body="Selene just came online."),
        "settings_url": f"{settings.SITE_URL}/accounts/settings/",
        "ticket": SimpleNamespace(
            name="Ana", email="ana@moonmail.test", reference="T-1", subject="Refund", message="Hello", requester=None
        ),
        "reply": SimpleNamespace(body="We refunded it."),
        "applicant": SimpleNamespace(public_name="Ana"),
        "application": SimpleNamespace(decision_reason="Please add a photo."),
        "is_approved": True,
        "action_url": f"{settings.SITE_URL}/dashboard/",
        "action_label": "Open your dashboard",
    }


@pytest.mark.parametrize("template", _email_templates())
def test_email_render_every_template_brand_layout_text_part_and_site_links(template):
    # given
    context = _context()
    # when
    text, html = email_render(template=template, context=context)
    # then: an HTML part in the brand layout and a plain-text part, both in our words
    assert 'data-email-layout="soulseer"' in html
    assert "<html" not in text and len(text.strip()) > 40
    for body in (text, html):
        assert not any(stock in body for stock in STOCK_WORDING), template
        assert "{{" not in body and "{%" not in body
    # every link goes to the site's address
    links = SITE_LINK.findall(html)
    assert links and all(link.startswith(settings.SITE_URL) for link in links), links


@pytest.mark.parametrize("template", _email_templates())
def test_email_templates_allauth_stock_ones_overridden(template):
    # when
    origins = [get_template(f"{template}.{ext}").origin.name for ext in ("txt", "html")]
    # then: the project's own templates answer, never allauth's
    assert all(not origin.startswith(str(ALLAUTH_TEMPLATES)) for origin in origins), origins


def test_site_url_default_is_what_make_run_prints():
    # given
    makefile = (ROOT / "Makefile").read_text()
    host = re.search(r"^HOST \?= (\S+)$", makefile, re.M).group(1)
    port = re.search(r"^PORT \?= (\S+)$", makefile, re.M).group(1)
    base = (ROOT / "config" / "settings" / "base.py").read_text()
    # then
    assert f'env("SITE_URL", default="http://{host}:{port}")' in base


def _sign_up(client) -> None:
    data = {"email": "selene@moonmail.test", "password1": "moonlit-garden-2026", "password2": "moonlit-garden-2026"}
    assert client.post(reverse("account_signup"), {**data, "website": ""}).status_code == 302


def _html_part(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


@pytest.mark.django_db
def test_signup_confirmation_email_links_carry_site_url(client, mailoutbox):
    # when
    _sign_up(client)
    # then
    [message] = mailoutbox
    assert message.subject == "[SoulSeer] Welcome: please confirm your email address"
    link = re.search(r"(\S+/accounts/confirm-email/\S+/)", message.body).group(1)
    assert link.startswith(settings.SITE_URL + "/accounts/confirm-email/")
    assert "testserver" not in message.body
    html = _html_part(message)
    assert f'href="{link}"' in html and 'data-email-layout="soulseer"' in html
    # and the link works
    assert client.get(link.removeprefix(settings.SITE_URL)).status_code == 200


@pytest.mark.django_db
def test_password_reset_email_links_carry_site_url(client, mailoutbox):
    # given
    UserFactory(email="ana@moonmail.test")
    # when
    client.post(reverse("account_reset_password"), {"email": "ana@moonmail.test"})
    # then
    [message] = mailoutbox
    assert message.subject == "[SoulSeer] Reset your password"
    link = re.search(r"(\S+/accounts/password/reset/key/\S+/)", message.body).group(1)
    assert link.startswith(settings.SITE_URL + "/accounts/password/reset/key/")
    assert f'href="{link}"' in _html_part(message)


@pytest.mark.django_db
def test_notification_email_send_html_part_links_to_site_url(mailoutbox):
    # given
    from apps.notifications.enums import Kind
    from apps.notifications.services import notification_email_send, notify

    user = UserFactory()
    notification = notify(
        user=user, kind=Kind.READER_ONLINE, title="Selene is online now", url="/readers/7/", email=True
    )
    # when
    notification_email_send(notification_id=notification.pk)
    # then
    [message] = mailoutbox
    assert f"{settings.SITE_URL}/readers/7/" in message.body
    html = _html_part(message)
    assert f'href="{settings.SITE_URL}/readers/7/"' in html and "Selene is online now" in html


@pytest.mark.django_db
def test_reader_application_decision_email_html_part_links_to_site_url(mailoutbox):
    # given
    from apps.accounts.emails import reader_application_decision_email_send
    from apps.accounts.enums import ApplicationStatus
    from apps.accounts.tests.factories import reader_application_create

    application = reader_application_create(UserFactory(display_name="Ana"))
    application.status = ApplicationStatus.APPROVED
    application.save()
    # when
    reader_application_decision_email_send(application_id=application.pk)
    # then
    [message] = mailoutbox
    dashboard = settings.SITE_URL + reverse("dashboards:home")
    assert dashboard in message.body
    assert f'href="{dashboard}"' in _html_part(message)


def test_email_send_attachments_travel_with_their_type(mailoutbox):
    # given
    from apps.core.emails import email_send

    invite = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"
    # when
    email_send(
        to=["selene@moonmail.test"],
        subject="Booked",
        template="notifications/email/notification",
        context={"notification": SimpleNamespace(title="Booked", body="Your reading is booked.")},
        attachments=[("invite.ics", invite, "text/calendar; method=REQUEST")],
    )
    # then
    (message,) = mailoutbox
    assert [(a.filename, a.content, a.mimetype) for a in message.attachments] == [
        ("invite.ics", invite, "text/calendar; method=REQUEST")
    ]
    assert 'Content-Type: text/calendar; method="REQUEST"' in message.message().as_string()
