"""Agora tokens of a stream: issued only after the access check, publisher for the host only, subscribe-only for
viewers (decoded), refused for private and premium streams without access, and re-checked on renewal."""

import pytest
from django.test import Client

from apps.accounts.tests.factories import UserFactory
from apps.live.access import stream_channel_name
from apps.live.enums import Visibility
from apps.live.services.payments import ticket_buy
from apps.live.services.streams import (
    stream_end,
    stream_invite,
    stream_invite_revoke,
    stream_start,
    viewer_heartbeat,
    viewer_remove,
)
from apps.rtc import tokens
from apps.rtc.models import RtcTokenGrant
from apps.rtc.tokens import RtcPrivilege, ServiceType

from .factories import follower_of, funded, live_stream, make_host, scheduled_stream

pytestmark = pytest.mark.django_db

APP_ID = "970CA35de60c44645bbae8a215061b33"
APP_CERTIFICATE = "5CFd2fd1755d40ecb72977518be15d3b"
TOKEN_URL = "/api/v1/rtc/token/"
RENEW_URL = "/api/v1/rtc/token/renew/"


@pytest.fixture(autouse=True)
def agora(settings):
    settings.AGORA_APP_ID = APP_ID
    settings.AGORA_APP_CERTIFICATE = APP_CERTIFICATE
    settings.AGORA_RTM_ENABLED = False
    return settings


def _token(user, stream, url=TOKEN_URL):
    browser = Client()
    browser.force_login(user)
    body = {"use": "stream", "object_id": str(stream.pk)}
    if url == RENEW_URL:
        body["channel"] = stream_channel_name(stream.pk)
    return browser.post(url, body, content_type="application/json")


def _rtc_privileges(response) -> set:
    service = tokens.verify_token(response.json()["token"], APP_CERTIFICATE).service(ServiceType.RTC)
    assert service is not None
    return set(service.privileges)


def test_token_host_is_publisher_in_live_broadcast_mode():
    # given
    stream = live_stream()
    # when
    response = _token(stream.host, stream)
    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["role"], body["profile"], body["channel"]) == ("publisher", "live", stream.channel_name)
    assert RtcPrivilege.PUBLISH_VIDEO_STREAM in _rtc_privileges(response)
    assert RtcPrivilege.PUBLISH_AUDIO_STREAM in _rtc_privileges(response)


def test_token_public_viewer_subscribe_only():
    # given
    stream = live_stream()
    viewer = UserFactory()
    # when
    response = _token(viewer, stream)
    # then
    assert response.status_code == 200
    assert response.json()["role"] == "subscriber"
    assert _rtc_privileges(response) == {RtcPrivilege.JOIN_CHANNEL}


def test_token_private_stream_not_invited_gets_404_and_nothing_issued():
    # given
    stream = live_stream(visibility=Visibility.PRIVATE)
    # when
    response = _token(UserFactory(), stream)
    # then
    assert response.status_code == 404
    assert not RtcTokenGrant.objects.exists()


def test_token_private_stream_invited_subscriber_revoked_loses_renewal():
    # given
    host = make_host()
    guest = follower_of(host)
    stream = scheduled_stream(host, visibility=Visibility.PRIVATE)
    invite = stream_invite(actor=host, stream_id=stream.pk, user_id=guest.pk)
    stream_start(actor=host, stream_id=stream.pk)
    first = _token(guest, stream)
    # when
    stream_invite_revoke(actor=host, stream_id=stream.pk, invite_id=invite.pk)
    renewal = _token(guest, stream, RENEW_URL)
    # then
    assert first.status_code == 200
    assert _rtc_privileges(first) == {RtcPrivilege.JOIN_CHANNEL}
    assert renewal.status_code == 404
    assert RtcTokenGrant.objects.filter(user=guest).count() == 1


def test_token_premium_without_ticket_refused_with_ticket_subscriber():
    # given
    stream = live_stream(visibility=Visibility.PREMIUM, price="5.00")
    viewer = funded()
    # when
    before = _token(viewer, stream)
    ticket_buy(actor=viewer, stream_id=stream.pk)
    after = _token(viewer, stream)
    # then
    assert before.status_code == 404
    assert after.status_code == 200
    assert _rtc_privileges(after) == {RtcPrivilege.JOIN_CHANNEL}


def test_token_removed_viewer_loses_renewal():
    # given
    stream = live_stream()
    viewer = UserFactory()
    viewer_heartbeat(actor=viewer, stream=stream)
    assert _token(viewer, stream).status_code == 200
    # when
    viewer_remove(actor=stream.host, stream_id=stream.pk, user_id=viewer.pk)
    renewal = _token(viewer, stream, RENEW_URL)
    fresh = _token(viewer, stream)
    # then
    assert renewal.status_code == 403
    assert renewal.json()["code"] == "removed"
    assert fresh.status_code == 403
    assert RtcTokenGrant.objects.filter(user=viewer).count() == 1


def test_token_scheduled_or_ended_stream_refused():
    # given
    upcoming = scheduled_stream()
    ended = live_stream()
    stream_end(actor=ended.host, stream_id=ended.pk)
    # when / then
    assert _token(upcoming.host, upcoming).status_code == 403
    assert _token(ended.host, ended).status_code == 403
    assert not RtcTokenGrant.objects.exists()


def test_token_without_agora_answers_503(settings):
    # given
    settings.AGORA_APP_ID = ""
    stream = live_stream()
    # when / then
    assert _token(stream.host, stream).status_code == 503
