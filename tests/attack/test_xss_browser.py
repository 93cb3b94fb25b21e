"""XSS payloads written into every user text field (``xss_fields.COVERED``) through the apps' own services, then
every page that shows them loaded in Chromium: no dialog opens, no injected element or script exists, and the
payload is on the page as plain text (so the page really showed the field).

The pages load with the Content-Security-Policy bypassed, so an inline handler that got through the escaping
would run here and open its dialog: the escaping is what is tested, not the CSP.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from email.message import Message
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.e2e.conftest import (  # noqa: F401  (stripe_server: the local Stripe API server)
    goto_settled,
    sign_in_with_session,
    stripe_server,
)

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
    // Lower case: a capfirst filter or a CSS text-transform changes the case of what is shown, not the markup.
    missing: tags.filter(tag => ![
        document.body.innerText, ...[...document.querySelectorAll('textarea, input')].map(field => field.value),
    ].some(text => text.toLowerCase().includes(tag))),
})"""


# Text shown on pages that is not a text column of its own: the help centre's query echoed, and the shipping
# address the buyer typed on Stripe Checkout (a JSON field) -> the pages that show it.
UNSTORED: dict[str, tuple[str, ...]] = {
    "search": ("pages:help",),
    "shop.Order.shipping_address": ("shop:order", "staff_shop:order"),
}


def _tag(key: str) -> str:
    """The field's own marker at the start of its payload, so each page is checked for each field it shows."""
    return f"xss{sorted(COVERED).index(key):02d}" if key in COVERED else f"xssq{sorted(UNSTORED).index(key)}"


def _payload(key: str) -> str:
    """The payloads for the field ``key`` ("app_label.Model.field"): all of them if they fit its length."""
    from django.apps import apps

    text = _tag(key) + FULL
    if key not in COVERED:  # not a text column: the help centre's search, the shipping address
        return text
    label, _, field = key.rpartition(".")
    length = apps.get_model(label)._meta.get_field(field).max_length
    return text if length is None or length >= len(text) else _tag(key) + SHORT


def _shop_world(server: Any, admin: Any) -> dict[str, Any]:
    """The shop's text: a catalog from Stripe (a product's name, description and metadata), a card order with the
    buyer's shipping name and address from Checkout, shipped by an admin; then the buyer is suspended."""
    from apps.accounts.tests.factories import UserFactory
    from apps.moderation.services import user_suspend
    from apps.shop.models import Product
    from apps.shop.services.cart import cart_set
    from apps.shop.services.catalog import catalog_event_apply
    from apps.shop.services.orders import order_ship
    from apps.shop.tests.helpers import checkout, pay

    def mirrored(metadata: dict[str, str], name: str) -> Product:
        data = server.product_create(
            name, unit_amount=500, description=_payload("shop.Product.description"), metadata=metadata
        )
        catalog_event_apply(data, "evt_xss")  # the product.created webhook: read from Stripe and applied
        catalog_event_apply(server.prices[data["default_price"]], "evt_xss")
        return Product.objects.get(stripe_product_id=data["id"])

    # The order's lines keep the names the products had when bought; the digital one is renamed in Stripe after.
    bought_as, category = _payload("shop.OrderItem.name"), _payload("shop.Product.category")
    digital = mirrored({"kind": "digital", "category": category, "file_key": "shop/xss-reading-guide.pdf"}, bought_as)
    physical = mirrored({"kind": "physical", "category": category, "stock": "5"}, bought_as)
    # Metadata Stripe holds that we cannot sell by: the admins' products page quotes it.
    misfiled = mirrored({"kind": _payload("shop.Product.metadata_error")}, "Misfiled deck")
    buyer = UserFactory()
    order = pay(
        Client(),
        server,
        checkout(buyer, (digital, 1), (physical, 1)),
        shipping_name=_payload("shop.Order.shipping_name"),
        shipping_address={
            "line1": _payload("shop.Order.shipping_address"),
            "line2": "",
            "city": "Austin",
            "postal_code": "78701",
            "country": "US",
            "state": "TX",
        },
    )
    order = order_ship(
        actor=admin,
        order_id=order.pk,
        carrier=_payload("shop.Order.carrier"),
        tracking_number=_payload("shop.Order.tracking_number"),
    )
    catalog_event_apply(
        server.product_update(digital.stripe_product_id, name=_payload("shop.Product.name")), "evt_xss_renamed"
    )
    cart_set(user=buyer, product_id=digital.pk, quantity=1)
    suspension = user_suspend(moderator=admin, user=buyer, reason=_payload("moderation.Suspension.reason"), until=None)
    item = order.items.get(product=digital)
    written = {
        "shop.Product.name": digital,
        "shop.Product.description": digital,
        "shop.Product.category": digital,
        "shop.Product.metadata_error": misfiled,
        "shop.OrderItem.name": item,
        "shop.Order.shipping_name": order,
        "shop.Order.carrier": order,
        "shop.Order.tracking_number": order,
        "moderation.Suspension.reason": suspension,
    }
    pages = {
        "shop:home": (None, reverse("shop:home")),
        "shop:product": (None, reverse("shop:product", kwargs={"pk": digital.pk})),
        "shop:cart": (buyer, reverse("shop:cart")),
        "shop:orders": (buyer, reverse("shop:orders")),
        "shop:order": (buyer, reverse("shop:order", kwargs={"pk": order.pk})),
        "staff_shop:order": (admin, reverse("staff_shop:order", kwargs={"pk": order.pk})),
        "staff_shop:products": (admin, reverse("staff_shop:products")),
    }
    return {"written": written, "pages": pages, "download": (buyer, order, item)}


def _world(server: Any) -> dict[str, Any]:
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
    shop = _shop_world(server, admin)
    written |= shop["written"]
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
        "moderation:report_detail": (admin, reverse("moderation:report_detail", kwargs={"pk": report.pk})),
        "readings:incoming_panel": (reader, reverse("readings:incoming_panel")),
        "staff_accounts:application_detail": (
            admin,
            reverse("staff_accounts:application_detail", kwargs={"application_id": application.pk}),
        ),
        # Not a stored field: the help centre's search echoes the query.
        "pages:help": (None, reverse("pages:help") + "?" + urlencode({"q": _payload("search")})),
        **shop["pages"],
    }
    transcript = reverse("readings:transcript", kwargs={"pk": reading.pk})
    return {"written": written, "pages": pages, "transcript": (client, transcript), "download": shop["download"]}


@pytest.mark.django_db(transaction=True)
def test_xss_payloads_in_every_user_text_field_stay_text_on_every_page(live_server, new_page, stripe_server):  # noqa: F811
    base = live_server.url
    world = _world(stripe_server)

    # Every covered field holds its payload (the services kept it as written), and its pages are loaded below.
    for key, obj in world["written"].items():
        obj.refresh_from_db()
        assert SHORT in getattr(obj, key.rsplit(".", 1)[1]), key
    assert set(world["written"]) == set(COVERED), "a field in xss_fields.COVERED has no writer here, or the reverse"
    assert {name for names in (COVERED | UNSTORED).values() for name in names} <= set(world["pages"])

    # The transcript (the chat lines again) is a plain-text download, never rendered as HTML.
    viewer, transcript_url = world["transcript"]
    browser = Client()
    browser.force_login(viewer)
    transcript = browser.get(transcript_url)
    assert transcript["Content-Type"].startswith("text/plain") and SHORT in transcript.content.decode()

    # A download's name (the order line's) is only in the file response's Content-Disposition header: one
    # attachment whose file name is the line's name as it is, never a header broken open by its quotes.
    from django.core.files.base import ContentFile
    from django.core.files.storage import storages

    from apps.shop.services.downloads import download_link_issue

    buyer, order, item = world["download"]
    storage = storages["default"]
    storage.delete(item.product.file_key)
    storage.save(item.product.file_key, ContentFile(b"%PDF-1.4 the guide"))
    link, _expires_at = download_link_issue(viewer=buyer, order_id=order.pk, item_id=item.pk)
    browser.force_login(buyer)
    download = browser.get(link)
    header = Message()
    header["Content-Disposition"] = download["Content-Disposition"]
    assert download.status_code == 200 and header.get_content_disposition() == "attachment"
    assert header.get_filename() == f"{item.name}.pdf".replace("/", "_")
    assert download["Content-Type"] == "application/pdf" and download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == b"%PDF-1.4 the guide"
    download.close()
    storage.delete(item.product.file_key)

    # One browser for every viewer, one after the other (the session cookie swapped): its cache keeps the static
    # files from the first page on.
    problems: list[str] = []
    page = new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    viewers = list(dict.fromkeys(viewer for viewer, _url in world["pages"].values()))
    signed_in: Any = object()
    for name, (viewer, url) in sorted(world["pages"].items(), key=lambda item: viewers.index(item[1][0])):
        if viewer is not signed_in:
            page.context.clear_cookies()
            if viewer is not None:
                sign_in_with_session(page, base, viewer)
            signed_in = viewer
        # The HTMX panels (reviews, chat lines) are in: every user text the pages show arrives with the page or
        # through HTMX (no script of ours writes it). Not "networkidle", which waits 500 ms more on every page.
        response = goto_settled(page, base + url)
        tags = [_tag(key) for key, names in (COVERED | UNSTORED).items() if name in names]
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
    # A dialog that opened after its page was checked (an image's error handler runs once its request fails).
    if dialogs:
        problems.append(f"a dialog opened after the last page was checked: {dialogs}")
    assert problems == [], "\n".join(problems)
