"""The RTM doorbell of a conversation in a real browser.

With Agora RTM configured, the conversation page loads the doorbell module from our static files (under the
real Content-Security-Policy), asks our server for an RTM login for this conversation, and a "changed" ping
arriving on the channel makes the page fetch the new messages at once, long before its next poll. Agora's
network is unreachable here (and blocked), so the ping is delivered the way the module delivers what RTM
hands it: as an "rtc:message" event on the doorbell element. Without RTM no RTM script is requested.
"""

import re
import time
from urllib.parse import urlparse

import pytest
from django.urls import reverse

from apps.messaging import views as messaging_views
from apps.messaging.rtc import conversation_channel_name
from apps.messaging.services import reader_reply_send
from apps.messaging.tests.factories import conversation_with
from apps.rtc.models import RtcTokenGrant
from tests.e2e.conftest import assert_axe_clean, eventually, foreign_scripts, rtc_page

APP_ID = "970CA35de60c44645bbae8a215061b33"
APP_CERTIFICATE = "5CFd2fd1755d40ecb72977518be15d3b"
REPLY = "The cards favour a patient start."


@pytest.fixture
def slow_poll(monkeypatch):
    """Polls far apart, so only the doorbell can explain a prompt refresh."""
    monkeypatch.setattr(messaging_views, "POLL_SECONDS", 600)


@pytest.mark.django_db(transaction=True)
def test_doorbell_ping_refreshes_conversation_before_the_poll(live_server, new_page, settings, slow_poll):
    # given: RTM configured and a client with their conversation open under the real policy
    settings.AGORA_APP_ID = APP_ID
    settings.AGORA_APP_CERTIFICATE = APP_CERTIFICATE
    settings.AGORA_RTM_ENABLED = True
    conversation = conversation_with()
    page = rtc_page(new_page, live_server.url, conversation.client, bypass_csp=False)
    requests = []
    page.on("request", lambda request: requests.append((request.resource_type, request.url)))
    with page.expect_response(lambda r: r.url.endswith("/api/v1/rtc/token/")) as token_response:
        page.goto(f"{live_server.url}{reverse('messaging:conversation', args=[conversation.pk])}")
    # then: the doorbell asked our server for an RTM login to this conversation's channel
    assert token_response.value.status == 200
    body = token_response.value.json()
    assert body["rtm"]["channel"] == conversation_channel_name(conversation.pk)
    assert re.fullmatch(rf"{conversation.client.pk}_[0-9a-f]{{12}}", body["rtm"]["user_id"])
    assert RtcTokenGrant.objects.filter(user=conversation.client, use="conversation").exists()
    assert page.locator("[data-rtc-doorbell]").get_attribute("data-channel") == conversation_channel_name(
        conversation.pk
    )
    script_urls = [url for kind, url in requests if kind == "script"]
    assert f"{live_server.url}/static/js/rtc/doorbell.js" in script_urls
    foreign = foreign_scripts(script_urls, live_server.url)
    assert not foreign, foreign
    assert eventually(lambda: page.evaluate("typeof window.AgoraRTM") != "undefined"), "RTM SDK not loaded"

    # when: the reader answers (committed on the server) and the ping for it arrives
    reader_reply_send(
        actor=conversation.reader, conversation_id=conversation.pk, body=REPLY, is_paid=False, price_amount=None
    )
    assert page.get_by_text(REPLY).count() == 0
    poll_path = reverse("messaging:poll", args=[conversation.pk])
    started = time.monotonic()
    with page.expect_response(lambda r: urlparse(r.url).path == poll_path, timeout=3_000) as poll_response:
        page.locator("[data-rtc-doorbell]").dispatch_event("rtc:message", {"detail": {"publisher": "other"}})
    # then: the page fetched from the server at once and shows the reply
    assert poll_response.value.status == 200
    assert time.monotonic() - started < 3
    page.get_by_text(REPLY).wait_for(timeout=3_000)
    assert page.locator("#message-poller").count() == 1


def test_doorbell_without_rtm_no_rtm_script_is_requested(live_server, new_page, settings, transactional_db):
    # given: Agora configured, RTM off
    settings.AGORA_APP_ID = APP_ID
    settings.AGORA_APP_CERTIFICATE = APP_CERTIFICATE
    settings.AGORA_RTM_ENABLED = False
    conversation = conversation_with()
    page = rtc_page(new_page, live_server.url, conversation.client)
    requests = []
    page.on("request", lambda request: requests.append((request.resource_type, request.url)))
    # when
    response = page.goto(f"{live_server.url}{reverse('messaging:conversation', args=[conversation.pk])}")
    page.wait_for_load_state("networkidle")
    # then: nothing of RTM, no token request; the page still polls
    assert response is not None and response.status == 200
    urls = [url for _, url in requests]
    assert not [url for url in urls if "agora" in url or "doorbell" in url], urls
    assert not [url for url in urls if "/api/v1/rtc/" in url], urls
    assert page.locator("[data-rtc-doorbell]").count() == 0
    assert "every 5s" in (page.locator("#message-poller").get_attribute("hx-trigger") or "")
    assert not RtcTokenGrant.objects.exists()
    assert_axe_clean(page)
