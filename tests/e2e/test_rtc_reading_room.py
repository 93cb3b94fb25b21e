"""A voice reading's room in two real browsers (client and reader): media stops when billing stops.

Agora's network calls are stubbed at the socket (as in test_rtc_room.py): the SDK's join stays "connecting",
which is enough to see the room join, leave and rejoin. The reading's clock is driven through the services
(heartbeats and the billing tick, as the Celery beat would run it). Both rooms run on Playwright's clock and are
moved to their next status poll after each change on the server.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.accounts.tests.factories import UserFactory
from apps.readers.models import ReaderProfile
from apps.readings.enums import SessionState
from apps.readings.models import ReadingSession, SessionMessage
from apps.readings.services import session_accept, session_bill_tick, session_heartbeat, session_request
from apps.readings.tests.helpers import credit, make_reader
from apps.rtc.models import RtcConnectionEvent, RtcTokenGrant
from tests.e2e.conftest import assert_axe_clean, eventually, rtc_page
from tests.e2e.reading_room import ROOM_POLL_MS
from tests.e2e.test_rtc_room import APP_CERTIFICATE, APP_ID

RATE = Decimal("3.00")
IN_ROOM = "document.querySelector('[data-rtc-room]').rtcRoom.client !== null"
OUT_OF_ROOM = "document.querySelector('[data-rtc-room]').rtcRoom.client === null"


def _beat_and_tick(session, *users, now=None) -> None:
    for user in users:
        session_heartbeat(user=user, session_id=session.pk, now=now)
    session_bill_tick(session_id=session.pk, now=now)


@pytest.mark.django_db(transaction=True)
def test_reading_room_leaves_channel_on_pause_and_rejoins_on_resume(live_server, new_page, settings):
    # given: Agora configured; a voice reading accepted 30 s ago, with one minute of funds
    settings.AGORA_APP_ID = APP_ID
    settings.AGORA_APP_CERTIFICATE = APP_CERTIFICATE
    settings.AGORA_RTM_ENABLED = False
    reader = make_reader()
    ReaderProfile.objects.filter(user=reader).update(voice_rate_amount=RATE)
    client = UserFactory(email="seeker.voice@example.com")
    credit(client, RATE)
    t0 = timezone.now() - timedelta(seconds=30)
    session = session_request(client=client, reader=reader, modality="voice", now=t0)
    session_accept(reader=reader, session_id=session.pk, now=t0)
    room_url = f"{live_server.url}/readings/{session.pk}/"
    pages = {}
    for name, user in (("client", client), ("reader", reader)):
        page = rtc_page(new_page, live_server.url, user, permissions=["microphone"])
        page.clock.install()
        page.goto(room_url)
        page.get_by_role("heading", name="Voice and video").wait_for()
        pages[name] = page

    # when: both join
    for name, user in (("client", client), ("reader", reader)):
        with pages[name].expect_response(lambda r: r.url.endswith("/api/v1/rtc/token/")) as answer:
            pages[name].get_by_role("button", name="Join").click()
        assert answer.value.status == 200
        # then: a token that ends with the paid minute (plus the margin), and the SDK is connecting
        grant = RtcTokenGrant.objects.filter(user=user).latest("pk")
        assert grant.expires_at <= t0 + timedelta(seconds=60 + settings.READING_TOKEN_PAID_MARGIN_SECONDS)
        pages[name].wait_for_function(IN_ROOM)
        assert eventually(
            lambda user=user: RtcConnectionEvent.objects.filter(user=user, state="CONNECTING").exists(), timeout=15.0
        )

    # when: minute 1 ends and the wallet cannot pay minute 2: the tick pauses the reading
    _beat_and_tick(session, client, reader, now=t0 + timedelta(seconds=66))
    session.refresh_from_db()
    assert session.state == SessionState.PAUSED
    for page in pages.values():
        page.clock.fast_forward(ROOM_POLL_MS)  # the room's status poll
    # then: both rooms leave the channel and say why in their status (a live region) ...
    for name, why in (("client", "your wallet cannot pay the next minute"), ("reader", "while the client adds funds")):
        page = pages[name]
        page.locator("[data-rtc-status]", has_text=why).wait_for(timeout=10_000)
        page.wait_for_function(OUT_OF_ROOM)
        status = page.locator("[data-rtc-status]")
        assert status.get_attribute("aria-live") == "polite"
        assert "You will rejoin by yourself when it resumes." in status.inner_text()
        assert page.locator("[data-rtc-room]").get_attribute("data-rtc-suspended") == "true"
        # ... and the chat is closed, saying why
        assert page.get_by_label("Your message").is_disabled()
        assert page.get_by_role("button", name="Send message").is_disabled()
        assert "The chat is paused with the reading" in page.locator("[data-chat-closed-note]").inner_text()
    assert_axe_clean(pages["client"])
    # A line sent anyway (a page that has not seen the pause yet) is refused, and the refusal is shown.
    client_page = pages["client"]
    client_page.evaluate("document.querySelector('[data-chat-fields]').disabled = false")
    client_page.get_by_label("Your message").fill("Still there?")
    client_page.get_by_role("button", name="Send message").click()
    client_page.get_by_test_id("chat-error").get_by_text("The chat is paused with the reading").wait_for()
    assert not SessionMessage.objects.filter(session=session).exists()
    grants_before = RtcTokenGrant.objects.latest("pk").pk

    # when: the client tops up; the tick resumes the reading, then charges minute 2 at the next heartbeats
    credit(client, RATE * 5)
    session_bill_tick(session_id=session.pk)
    session.refresh_from_db()
    assert session.state == SessionState.ACTIVE
    _beat_and_tick(session, client, reader)
    session.refresh_from_db()
    assert session.minutes_billed == 2
    for page in pages.values():
        page.clock.fast_forward(ROOM_POLL_MS)
    # then: both rooms rejoin by themselves with fresh tokens, ending with minute 2 (plus the margin)
    for name, user in (("client", client), ("reader", reader)):
        pages[name].wait_for_function(IN_ROOM, timeout=15_000)
        assert pages[name].locator("[data-rtc-room]").get_attribute("data-rtc-suspended") is None
        assert eventually(
            lambda user=user: RtcTokenGrant.objects.filter(user=user, pk__gt=grants_before).exists(), timeout=15.0
        )
        fresh = RtcTokenGrant.objects.filter(user=user, pk__gt=grants_before).latest("pk")
        assert fresh.expires_at <= session.billed_until_at + timedelta(
            seconds=settings.READING_TOKEN_PAID_MARGIN_SECONDS
        )
        assert pages[name].get_by_label("Your message").is_enabled()
        assert pages[name].locator("[data-chat-closed-note]").is_hidden()
    assert RtcTokenGrant.objects.filter(pk__gt=grants_before).count() == 2
    assert ReadingSession.objects.get(pk=session.pk).state == SessionState.ACTIVE
