"""The voice/video room in a real browser, opened from the staff test-room page.

With Agora configured the page loads the Agora Web SDK from our own static files (no script from any other
host) under the real Content-Security-Policy, and pressing Join asks our server for a token. Without Agora
the room says plainly that voice and video are unavailable. axe-core checks both states.
"""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from apps.accounts.tests.factories import AdminFactory, give_totp
from apps.rtc.models import RtcConnectionEvent, RtcTokenGrant
from tests.e2e.conftest import assert_axe_clean, eventually, foreign_scripts, rtc_page

APP_ID = "970CA35de60c44645bbae8a215061b33"
APP_CERTIFICATE = "5CFd2fd1755d40ecb72977518be15d3b"
UNAVAILABLE = "Voice and video need Agora to be configured on this server; text readings keep working."


@pytest.fixture
def admin(transactional_db):
    user = AdminFactory(email="operator@example.com")
    give_totp(user)
    return user


def _room_url(live_server, modality="video"):
    return f"{live_server.url}{reverse('staff_rtc:test-room')}?label=front-desk&modality={modality}"


def test_rtc_room_agora_not_configured_shows_unavailable_state(live_server, new_page, settings, admin):
    # given
    settings.AGORA_APP_ID = ""
    settings.AGORA_APP_CERTIFICATE = ""
    page = rtc_page(new_page, live_server.url, admin)
    scripts = []
    page.on("request", lambda request: scripts.append(request.url) if request.resource_type == "script" else None)
    # when
    response = page.goto(_room_url(live_server))
    # then
    assert response is not None and response.status == 200
    notice = page.locator("[data-rtc-unavailable]")
    expect(notice).to_be_visible()
    assert notice.inner_text().strip() == UNAVAILABLE
    assert page.get_by_role("button", name="Join").count() == 0
    assert not any("agora" in url for url in scripts)
    assert_axe_clean(page)


AGORA_HOST = re.compile(r"^(https|wss)://[^/]*\.(agora\.io|sd-rtn\.com)(:\d+)?/")
SDK_DIRECTIVES = ("script-src", "worker-src", "connect-src", "media-src")


def test_rtc_room_loads_bundled_sdks_joins_with_server_token_and_reports_state(live_server, new_page, settings, admin):
    # given: Agora (with RTM) configured; the page runs under our real Content-Security-Policy
    settings.AGORA_APP_ID = APP_ID
    settings.AGORA_APP_CERTIFICATE = APP_CERTIFICATE
    settings.AGORA_RTM_ENABLED = True
    page = rtc_page(
        new_page,
        live_server.url,
        admin,
        bypass_csp=False,
        permissions=["microphone", "camera"],
    )
    requests = []
    page.on("request", lambda request: requests.append((request.resource_type, request.url)))
    violations = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    # when
    response = page.goto(_room_url(live_server))
    page.wait_for_load_state("load")
    # then: both SDKs come from our static files, and no script from anywhere else
    assert response is not None and response.status == 200
    script_urls = [url for kind, url in requests if kind == "script"]
    assert f"{live_server.url}/static/build/vendor/agora-rtc.js" in script_urls
    assert f"{live_server.url}/static/build/vendor/agora-rtm.js" in script_urls
    assert f"{live_server.url}/static/js/rtc/room.js" in script_urls
    foreign = foreign_scripts(script_urls, live_server.url)
    assert not foreign, foreign
    assert page.evaluate("typeof window.AgoraRTC.createClient") == "function"
    assert page.evaluate("typeof window.AgoraRTM.RTM") == "function"
    assert page.evaluate("document.querySelector('[data-rtc-room]').rtcRoom !== undefined")
    assert page.get_by_role("button", name="Mute microphone").get_attribute("aria-pressed") == "false"
    assert page.get_by_role("button", name="Turn camera off").is_disabled()
    assert page.get_by_role("button", name="Leave").is_disabled()
    assert page.get_by_label("Microphone").is_disabled()

    # when: the operator presses Join
    with page.expect_response(lambda r: r.url.endswith("/api/v1/rtc/token/")) as token_response:
        page.get_by_role("button", name="Join").click()
    # then: our server issued a publisher token for this admin's test room ...
    assert token_response.value.status == 200
    body = token_response.value.json()
    assert body["role"] == "publisher"
    assert body["modality"] == "video"
    assert body["rtm"]["user_id"] == str(admin.pk)
    grant = RtcTokenGrant.objects.get()
    assert (grant.user_id, grant.object_id, grant.has_rtm) == (admin.pk, "video-front-desk", True)
    # ... the SDK reaches for Agora's servers (this machine has no route to them) without the policy blocking it ...
    page.wait_for_event("request", lambda request: bool(AGORA_HOST.match(request.url)), timeout=20_000)
    # ... and the browser reported that it is connecting
    page.get_by_text("Connecting…").wait_for()
    assert eventually(lambda: RtcConnectionEvent.objects.filter(user=admin, state="CONNECTING").exists())

    # when: the operator gives up
    page.get_by_role("button", name="Leave").click()
    # then
    page.get_by_text("You left the room.").wait_for()
    assert eventually(lambda: RtcConnectionEvent.objects.filter(user=admin, state="DISCONNECTED").exists())
    assert page.get_by_role("button", name="Join").is_enabled()
    assert page.get_by_role("button", name="Leave").is_disabled()
    blocked = [text for text in violations if any(directive in text for directive in SDK_DIRECTIVES)]
    assert not blocked, blocked
    scripts = [url for kind, url in requests if kind == "script"]
    assert not foreign_scripts(scripts, live_server.url)


def test_rtc_room_configured_is_axe_clean(live_server, new_page, settings, admin):
    # given
    settings.AGORA_APP_ID = APP_ID
    settings.AGORA_APP_CERTIFICATE = APP_CERTIFICATE
    page = rtc_page(new_page, live_server.url, admin)
    # when
    page.goto(_room_url(live_server, modality="voice"))
    # then
    expect(page.get_by_role("button", name="Join")).to_be_visible()
    assert page.get_by_role("button", name="Turn camera off").count() == 0
    assert_axe_clean(page)


def test_staff_rtc_status_page_is_axe_clean(live_server, new_page, settings, admin):
    settings.AGORA_APP_ID = ""
    page = rtc_page(new_page, live_server.url, admin)
    page.goto(f"{live_server.url}{reverse('staff_rtc:status')}")
    expect(page.get_by_role("heading", name="Voice and video", level=1)).to_be_visible()
    assert_axe_clean(page)


def test_rtc_room_leaving_the_page_reports_disconnect(live_server, new_page, settings, admin):
    # given: an operator joining a room
    settings.AGORA_APP_ID = APP_ID
    settings.AGORA_APP_CERTIFICATE = APP_CERTIFICATE
    page = rtc_page(new_page, live_server.url, admin, permissions=["microphone", "camera"])
    page.goto(_room_url(live_server))
    page.get_by_role("button", name="Join").click()
    assert eventually(lambda: RtcConnectionEvent.objects.filter(user=admin, state="CONNECTING").exists())
    # when: they navigate away without pressing Leave
    page.goto(f"{live_server.url}{reverse('staff_rtc:status')}")
    # then: the server hears about it at once
    assert eventually(
        lambda: RtcConnectionEvent.objects.filter(user=admin, state="DISCONNECTED", reason="PAGE_HIDE").exists()
    )
