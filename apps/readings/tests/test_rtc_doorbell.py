"""Reading-room chat over Agora RTM: the doorbell in the room and its "reading_chat" tokens.

Only the two parties of a live reading see it (with the chat's unguessable channel), only with RTM on; the
chat form rings after a successful send; the token endpoint refuses anyone else and ended readings.
"""

import re
from decimal import Decimal

import pytest
from django.test import override_settings
from django.urls import reverse

from apps.accounts.tests.factories import UserFactory
from apps.readers.models import ReaderProfile
from apps.readings.access import READING_CHAT_USE, reading_chat_channel_name
from apps.readings.services import session_accept, session_end, session_request
from apps.readings.tests.helpers import credit, make_reader
from apps.rtc import tokens
from apps.rtc.channels import channel_subject
from apps.rtc.models import RtcTokenGrant
from apps.rtc.tokens import ServiceType

pytestmark = pytest.mark.django_db

APP_ID = "970CA35de60c44645bbae8a215061b33"
APP_CERTIFICATE = "5CFd2fd1755d40ecb72977518be15d3b"
RTM_ON = override_settings(AGORA_APP_ID=APP_ID, AGORA_APP_CERTIFICATE=APP_CERTIFICATE, AGORA_RTM_ENABLED=True)
TOKEN_URL = "/api/v1/rtc/token/"


def _live_reading(client_user, modality="text"):
    reader = make_reader(rate=Decimal("2.00"))
    ReaderProfile.objects.filter(user=reader).update(video_rate_amount=Decimal("3.00"))
    credit(client_user, Decimal("10.00"))
    session = session_request(client=client_user, reader=reader, modality=modality)
    return session_accept(reader=reader, session_id=session.pk), reader


def _doorbell(body: str) -> dict[str, str] | None:
    match = re.search(r"<div hidden data-rtc-doorbell(.*?)></div>", body, re.S)
    if match is None:
        return None
    return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', match.group(1)))


@RTM_ON
@pytest.mark.parametrize("party", ["client", "reader"])
@pytest.mark.parametrize("modality", ["text", "video"])
def test_room_rtm_enabled_party_gets_chat_doorbell_for_its_channel(client, client_user, party, modality):
    # given
    session, reader = _live_reading(client_user, modality=modality)
    client.force_login(client_user if party == "client" else reader)
    # when
    response = client.get(reverse("readings:room", args=[session.pk]))
    # then
    body = response.content.decode()
    doorbell = _doorbell(body)
    assert doorbell is not None
    assert doorbell["channel"] == reading_chat_channel_name(session.pk)
    assert channel_subject(doorbell["channel"]) == ("chat", str(session.pk))
    assert doorbell["channel"] != session.channel_name  # not the voice/video room's channel
    assert doorbell["use"] == READING_CHAT_USE
    assert doorbell["object-id"] == str(session.pk)
    assert doorbell["refresh-event"] == "chat-refresh"
    assert "data-chat-form data-rtc-doorbell-ring" in body
    assert "js/rtc/doorbell.js" in body


@RTM_ON
def test_room_outsider_gets_404_and_no_channel(client, client_user):
    # given
    session, _ = _live_reading(client_user)
    client.force_login(UserFactory())
    # when
    response = client.get(reverse("readings:room", args=[session.pk]))
    # then
    assert response.status_code == 404
    assert reading_chat_channel_name(session.pk) not in response.content.decode()


@RTM_ON
def test_room_waiting_request_has_no_chat_and_no_doorbell(client, client_user):
    # given
    reader = make_reader()
    credit(client_user, Decimal("10.00"))
    session = session_request(client=client_user, reader=reader, modality="text")
    client.force_login(client_user)
    # when
    response = client.get(reverse("readings:room", args=[session.pk]))
    # then
    assert response.status_code == 200
    assert _doorbell(response.content.decode()) is None


@pytest.mark.parametrize(
    "overrides",
    [
        {"AGORA_APP_ID": APP_ID, "AGORA_APP_CERTIFICATE": APP_CERTIFICATE, "AGORA_RTM_ENABLED": False},
        {"AGORA_APP_ID": "", "AGORA_APP_CERTIFICATE": "", "AGORA_RTM_ENABLED": True},
    ],
    ids=["rtm-off", "agora-off"],
)
def test_room_rtm_disabled_has_no_doorbell_and_no_rtm_script(client, client_user, overrides):
    # given
    session, _ = _live_reading(client_user)
    client.force_login(client_user)
    # when
    with override_settings(**overrides):
        response = client.get(reverse("readings:room", args=[session.pk]))
    # then
    body = response.content.decode()
    assert response.status_code == 200
    assert _doorbell(body) is None
    assert "doorbell.js" not in body and "agora-rtm" not in body
    assert reading_chat_channel_name(session.pk) not in body
    assert "chat-refresh from:body" in body  # the chat still polls


@RTM_ON
@pytest.mark.parametrize("party", ["client", "reader"])
def test_token_endpoint_reading_chat_party_gets_rtm_login_for_its_channel(client, client_user, party):
    # given
    session, reader = _live_reading(client_user)
    user = client_user if party == "client" else reader
    client.force_login(user)
    # when
    response = client.post(
        TOKEN_URL,
        {"use": READING_CHAT_USE, "object_id": str(session.pk), "rtm_tag": "0f0f"},
        content_type="application/json",
    )
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["rtm"]["channel"] == reading_chat_channel_name(session.pk)
    assert body["rtm"]["user_id"] == f"{user.pk}_0f0f"
    rtm = tokens.verify_token(body["rtm"]["token"], APP_CERTIFICATE).service(ServiceType.RTM)
    assert rtm is not None
    assert rtm.fields == {"user_id": f"{user.pk}_0f0f"}
    rtc = tokens.parse_token(body["token"]).service(ServiceType.RTC)
    assert rtc is not None and set(rtc.privileges) == {tokens.RtcPrivilege.JOIN_CHANNEL}


@RTM_ON
def test_token_endpoint_reading_chat_outsider_refused_404_nothing_issued(client, client_user):
    # given
    session, _ = _live_reading(client_user)
    client.force_login(UserFactory())
    # when
    response = client.post(
        TOKEN_URL, {"use": READING_CHAT_USE, "object_id": str(session.pk)}, content_type="application/json"
    )
    # then
    assert response.status_code == 404
    assert not RtcTokenGrant.objects.exists()


@RTM_ON
def test_token_endpoint_reading_chat_ended_reading_refused_403(client, client_user):
    # given
    session, _ = _live_reading(client_user)
    session_end(actor=client_user, session_id=session.pk)
    client.force_login(client_user)
    # when
    response = client.post(
        TOKEN_URL, {"use": READING_CHAT_USE, "object_id": str(session.pk)}, content_type="application/json"
    )
    # then
    assert response.status_code == 403
    assert not RtcTokenGrant.objects.exists()


@override_settings(AGORA_APP_ID=APP_ID, AGORA_APP_CERTIFICATE=APP_CERTIFICATE, AGORA_RTM_ENABLED=False)
def test_token_endpoint_reading_chat_rtm_off_refused_403(client, client_user):
    # given
    session, _ = _live_reading(client_user)
    client.force_login(client_user)
    # when
    response = client.post(
        TOKEN_URL, {"use": READING_CHAT_USE, "object_id": str(session.pk)}, content_type="application/json"
    )
    # then
    assert response.status_code == 403
    assert response.json()["code"] == "rtm_off"
    assert not RtcTokenGrant.objects.exists()
