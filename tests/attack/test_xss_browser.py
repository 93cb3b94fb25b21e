"""XSS payloads written into every user text field (``xss_fields.COVERED``) through the apps' own services, then
every page that shows them loaded in Chromium: no dialog opens, no injected element or script exists, and the
payload is on the page as plain text (so the page really showed the field).

The pages load with the Content-Security-Policy bypassed, so an inline handler that got through the escaping
would run here and open its dialog: the escaping is what is tested, not the CSP.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.e2e.conftest import sign_in_with_session

from .xss_fields import COVERED

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# Short enough for a 60-character name; every payload carries this one, so the page check looks for it.
SHORT = '"><svg onload=alert(1) class=xss>'
FULL = (
    SHORT + "<script>alert(2)</script><img src=x onerror=alert(3) class=xss>"
    "' onmouseover='alert(4)' {{7*7}}{% now \"Y\" %} javascript:alert(5)"
)
# The page's text, and what its form fields hold (a note is shown in its textarea for editing).
INJECTED = """(tags) => ({
    injected: [...document.querySelectorAll(
        '.xss, svg[onload], img[onerror], [onmouseover], a[href^="javascript:" i], iframe[src^="javascript:" i]'
    )].map(element => element.outerHTML.slice(0, 120)),
    scripts: [...document.scripts].filter(script => /alert\\(/.test(script.textContent)).length,
    missing: tags.filter(tag => ![
        document.body.innerText, ...[...document.querySelectorAll('textarea, input')].map(field => field.value),
    ].some(text => text.includes(tag))),
})"""


def _tag(key: str) -> str:
    """The field's own marker at the start of its payload, so each page is checked for each field it shows."""
    return f"xss{sorted(COVERED).index(key):02d}" if key in COVERED else "xssq"


def _payload(key: str) -> str:
    """The payloads for the field ``key`` ("app_label.Model.field"): all of them if they fit its length."""
    from django.apps import apps

    text = _tag(key) + FULL
    if key not in COVERED:  # not a stored field: the help centre's search
        return text
    label, _, field = key.rpartition(".")
    length = apps.get_model(label)._meta.get_field(field).max_length
    return text if length is None or length >= len(text) else _tag(key) + SHORT


def _world() -> dict[str, Any]:
    """One of each kind of user-written text, with the payloads, written through the apps' services."""
    from apps.accounts.services import reader_application_submit, user_update_profile
    from apps.accounts.tests.factories import AdminFactory, UserFactory, give_totp, image_upload
    from apps.live.services.chat import chat_post
    from apps.live.services.streams import stream_go_live, viewer_heartbeat
    from apps.messaging.services import message_send
    from apps.messaging.tests.factories import conversation_with
    from apps.moderation.services import report_create
    from apps.pages.services import support_ticket_open
    from apps.readers.services import reader_profile_update
    from apps.readings.services import session_accept, session_end, session_finalize, session_request
    from apps.readings.services.chat import session_message_post
    from apps.readings.services.reviews import review_create, review_reply, session_note_save
    from apps.readings.tests.helpers import credit, make_reader
    from apps.scheduling.tests.factories import booking_funded

    client = UserFactory()
    user_update_profile(
        user=client,
        display_name=_payload("accounts.User.display_name"),
        timezone="UTC",
        theme="dark",
        notify_email_messages=False,
        notify_email_readings=False,
        notify_email_account=False,
    )
    reader = make_reader(rate=Decimal("1.00"))
    profile = reader_profile_update(
        actor=reader,
        data={name: _payload(f"readers.ReaderProfile.{name}") for name in ("display_name", "headline", "bio")},
    )
    admin = AdminFactory()
    give_totp(admin)
    credit(client, Decimal("30.00"))

    reading = session_request(client=client, reader=reader, modality="text")
    session_accept(reader=reader, session_id=reading.pk)
    chat_line = session_message_post(
        sender=client, session_id=reading.pk, body=_payload("livesessions.SessionMessage.body")
    )
    session_end(actor=client, session_id=reading.pk)
    reading = session_finalize(session_id=reading.pk)
    note = session_note_save(author=client, session_id=reading.pk, body=_payload("livesessions.SessionNote.body"))
    review = review_create(client=client, session_id=reading.pk, rating=5, body=_payload("livesessions.Review.body"))
    review = review_reply(reader=reader, review_id=review.pk, body=_payload("livesessions.Review.reply_body"))

    conversation = conversation_with(client=client, reader=reader)
    message = message_send(actor=client, conversation_id=conversation.pk, body=_payload("messaging.Message.body"))
    report = report_create(
        reporter=reader,
        type_key="messaging.message",
        object_id=message.pk,
        reason="spam",
        details=_payload("moderation.Report.details"),
    )
    booking = booking_funded(
        client=client,
        reader=reader,
        starts_at=timezone.now() + timedelta(days=3),
        duration_minutes=15,
        rate_amount=Decimal("1.00"),
        intake_note=_payload("scheduling.Booking.intake_note"),
    )
    stream = stream_go_live(
        actor=reader,
        title=_payload("live.Stream.title"),
        description=_payload("live.Stream.description"),
        visibility="public",
    )
    viewer_heartbeat(actor=client, stream=stream)
    stream_line = chat_post(actor=client, stream=stream, body=_payload("live.StreamMessage.body"))
    ticket = support_ticket_open(
        name=_payload("pages.SupportTicket.name"),
        email="xss.ticket@example.com",
        subject=_payload("pages.SupportTicket.subject"),
        message=_payload("pages.SupportTicket.message"),
        requester=client,
    )
    # Written last: a reading still waiting for the reader (its note is on their incoming list), an application.
    waiting = session_request(
        client=client, reader=reader, modality="text", intake_note=_payload("livesessions.ReadingSession.intake_note")
    )
    application = reader_application_submit(
        applicant=UserFactory(),
        bio=_payload("accounts.ReaderApplication.bio"),
        specialties=_payload("accounts.ReaderApplication.specialties"),
        tools=_payload("accounts.ReaderApplication.tools"),
        years_experience=3,
        photo=image_upload(),
    )
    written = {
        "accounts.User.display_name": client,
        "readers.ReaderProfile.display_name": profile,
        "readers.ReaderProfile.headline": profile,
        "readers.ReaderProfile.bio": profile,
        "messaging.Message.body": message,
        "livesessions.SessionMessage.body": chat_line,
        "livesessions.SessionNote.body": note,
        "livesessions.Review.body": review,
        "livesessions.Review.reply_body": review,
        "scheduling.Booking.intake_note": booking,
        "live.Stream.title": stream,
        "live.Stream.description": stream,
        "live.StreamMessage.body": stream_line,
        "pages.SupportTicket.name": ticket,
        "pages.SupportTicket.subject": ticket,
        "pages.SupportTicket.message": ticket,
        "moderation.Report.details": report,
        "livesessions.ReadingSession.intake_note": waiting,
        "accounts.ReaderApplication.bio": application,
        "accounts.ReaderApplication.specialties": application,
        "accounts.ReaderApplication.tools": application,
    }
    # Who looks at which page: (viewer, URL).
    pages = {
        "readers:profile": (None, reverse("readers:profile", kwargs={"pk": profile.pk})),
        "readers:directory": (None, reverse("readers:directory")),
        "live:home": (None, reverse("live:home")),
        "live:stream": (client, reverse("live:stream", kwargs={"pk": stream.pk})),
        "readings:summary": (client, reverse("readings:summary", kwargs={"pk": reading.pk})),
        "messaging:conversation": (reader, reverse("messaging:conversation", kwargs={"pk": conversation.pk})),
        "scheduling_manage:detail": (reader, reverse("scheduling_manage:detail", kwargs={"pk": booking.pk})),
        "staff_accounts:user_detail": (admin, reverse("staff_accounts:user_detail", kwargs={"user_id": client.pk})),
        "staff_pages:ticket_detail": (admin, reverse("staff_pages:ticket_detail", kwargs={"pk": ticket.pk})),
        "staff_moderation:report_detail": (admin, reverse("staff_moderation:report_detail", kwargs={"pk": report.pk})),
        "readings:incoming_panel": (reader, reverse("readings:incoming_panel")),
        "staff_accounts:application_detail": (
            admin,
            reverse("staff_accounts:application_detail", kwargs={"application_id": application.pk}),
        ),
        # Not a stored field: the help centre's search echoes the query.
        "pages:help": (None, reverse("pages:help") + "?" + urlencode({"q": _payload("search")})),
    }
    transcript = reverse("readings:transcript", kwargs={"pk": reading.pk})
    return {"written": written, "pages": pages, "transcript": (client, transcript)}


@pytest.mark.django_db(transaction=True)
def test_xss_payloads_in_every_user_text_field_stay_text_on_every_page(live_server, new_page):
    base = live_server.url
    world = _world()

    # Every covered field holds its payload (the services kept it as written), and its pages are loaded below.
    for key, obj in world["written"].items():
        obj.refresh_from_db()
        assert SHORT in getattr(obj, key.rsplit(".", 1)[1]), key
    assert set(world["written"]) == set(COVERED), "a field in xss_fields.COVERED has no writer here, or the reverse"
    assert {name for names in COVERED.values() for name in names} <= set(world["pages"])

    # The transcript (the chat lines again) is a plain-text download, never rendered as HTML.
    viewer, transcript_url = world["transcript"]
    browser = Client()
    browser.force_login(viewer)
    transcript = browser.get(transcript_url)
    assert transcript["Content-Type"].startswith("text/plain") and SHORT in transcript.content.decode()

    problems: list[str] = []
    signed_in: dict[Any, Any] = {}
    for name, (viewer, url) in world["pages"].items():
        if viewer not in signed_in:
            page = new_page()
            if viewer is not None:
                sign_in_with_session(page, base, viewer)
            dialogs: list[str] = []
            page.on("dialog", lambda dialog, seen=dialogs: (seen.append(dialog.message), dialog.dismiss()))
            signed_in[viewer] = (page, dialogs)
        page, dialogs = signed_in[viewer]
        response = page.goto(base + url)
        page.wait_for_load_state("networkidle")  # the HTMX panels (reviews, chat lines) are in
        tags = [_tag(key) for key, names in COVERED.items() if name in names] or [_tag("search")]
        found = page.evaluate(INJECTED, tags)
        status = response.status if response else 0
        if status != 200:
            problems.append(f"{name} ({url[:60]}): answered {status}")
        if dialogs:
            problems.append(f"{name}: a dialog opened: {dialogs}")
            dialogs.clear()
        if found["injected"] or found["scripts"]:
            problems.append(f"{name}: injected markup {found['injected']}, scripts {found['scripts']}")
        if found["missing"]:
            problems.append(f"{name}: the payloads of {found['missing']} are not on the page as text")
    assert problems == [], "\n".join(problems)
