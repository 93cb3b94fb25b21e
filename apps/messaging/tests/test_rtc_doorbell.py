"""Live updates of a conversation over Agora RTM: the doorbell on the page and its tokens.

Only the two parties see the doorbell (with the conversation's unguessable channel) and only when RTM is on;
the token endpoint gives an RTM login for the "conversation" use to the parties alone.
"""

import re

import pytest
from django.test import override_settings
from django.urls import reverse

from apps.accounts.tests.factories import UserFactory
from apps.messaging.rtc import CONVERSATION_USE, conversation_channel_name
from apps.rtc import tokens
from apps.rtc.channels import channel_subject
from apps.rtc.models import RtcTokenGrant
from apps.rtc.tokens import ServiceType

from .factories import conversation_with

pytestmark = pytest.mark.django_db

APP_ID = "970CA35de60c44645bbae8a215061b33"
APP_CERTIFICATE = "5CFd2fd1755d40ecb72977518be15d3b"
RTM_ON = override_settings(AGORA_APP_ID=APP_ID, AGORA_APP_CERTIFICATE=APP_CERTIFICATE, AGORA_RTM_ENABLED=True)
TOKEN_URL = "/api/v1/rtc/token/"


def _doorbell(body: str) -> dict[str, str] | None:
    match = re.search(r"<div hidden data-rtc-doorbell(.*?)></div>", body, re.S)
    if match is None:
        return None
    return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', match.group(1)))


@RTM_ON
@pytest.mark.parametrize("party", ["client", "reader"])
def test_conversation_page_rtm_enabled_party_gets_doorbell_for_its_channel(client, party):
    # given
    conversation = conversation_with()
    client.force_login(getattr(conversation, party))
    # when
    response = client.get(reverse("messaging:conversation", args=[conversation.pk]))
    # then
    body = response.content.decode()
    doorbell = _doorbell(body)
    assert doorbell is not None
    assert doorbell["channel"] == conversation_channel_name(conversation.pk)
    assert channel_subject(doorbell["channel"]) == ("convo", str(conversation.pk))
    assert doorbell["use"] == CONVERSATION_USE
    assert doorbell["object-id"] == str(conversation.pk)
    assert doorbell["refresh-event"] == "rtc-ping"
    assert doorbell["ring"] == "false"
    assert doorbell["token-url"] == TOKEN_URL
    assert "js/rtc/doorbell.js" in body
    assert 'hx-trigger="every 5s, rtc-ping from:body"' in body


@RTM_ON
def test_conversation_page_outsider_gets_404_and_no_channel(client):
    # given
    conversation = conversation_with()
    client.force_login(UserFactory())
    # when
    response = client.get(reverse("messaging:conversation", args=[conversation.pk]))
    # then
    assert response.status_code == 404
    assert conversation_channel_name(conversation.pk) not in response.content.decode()


@pytest.mark.parametrize(
    "overrides",
    [
        {"AGORA_APP_ID": APP_ID, "AGORA_APP_CERTIFICATE": APP_CERTIFICATE, "AGORA_RTM_ENABLED": False},
        {"AGORA_APP_ID": "", "AGORA_APP_CERTIFICATE": "", "AGORA_RTM_ENABLED": True},
    ],
    ids=["rtm-off", "agora-off"],
)
def test_conversation_page_rtm_disabled_has_no_doorbell_and_no_rtm_script(client, overrides):
    # given
    conversation = conversation_with()
    client.force_login(conversation.client)
    # when
    with override_settings(**overrides):
        response = client.get(reverse("messaging:conversation", args=[conversation.pk]))
    # then
    body = response.content.decode()
    assert response.status_code == 200
    assert _doorbell(body) is None
    assert "doorbell.js" not in body and "agora-rtm" not in body
    assert conversation_channel_name(conversation.pk) not in body
    assert 'hx-trigger="every 5s, rtc-ping from:body"' in body  # polling stays as it was


@RTM_ON
def test_conversation_send_rings_once_on_the_next_page(client):
    # given
    conversation = conversation_with()
    client.force_login(conversation.client)
    url = reverse("messaging:conversation", args=[conversation.pk])
    # when
    sent = client.post(url, {"body": "Are you free tonight?"}, follow=True)
    again = client.get(url)
    # then
    assert sent.redirect_chain == [(url, 302)]
    assert _doorbell(sent.content.decode())["ring"] == "true"
    assert _doorbell(again.content.decode())["ring"] == "false"


@RTM_ON
def test_conversation_invalid_send_does_not_ring(client):
    # given
    conversation = conversation_with()
    client.force_login(conversation.client)
    # when
    response = client.post(reverse("messaging:conversation", args=[conversation.pk]), {"body": ""})
    # then
    assert response.status_code == 400
    assert _doorbell(response.content.decode())["ring"] == "false"


@RTM_ON
@pytest.mark.parametrize("party", ["client", "reader"])
def test_token_endpoint_conversation_party_gets_rtm_login_for_its_channel(client, party):
    # given
    conversation = conversation_with()
    user = getattr(conversation, party)
    client.force_login(user)
    # when
    response = client.post(
        TOKEN_URL,
        {"use": CONVERSATION_USE, "object_id": str(conversation.pk), "rtm_tag": "a1b2c3"},
        content_type="application/json",
    )
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["role"] == "subscriber"
    assert body["rtm"]["channel"] == conversation_channel_name(conversation.pk)
    assert body["rtm"]["user_id"] == f"{user.pk}_a1b2c3"
    rtm = tokens.verify_token(body["rtm"]["token"], APP_CERTIFICATE).service(ServiceType.RTM)
    assert rtm is not None
    assert rtm.fields == {"user_id": f"{user.pk}_a1b2c3"}
    rtc = tokens.parse_token(body["token"]).service(ServiceType.RTC)
    assert rtc is not None and set(rtc.privileges) == {tokens.RtcPrivilege.JOIN_CHANNEL}  # join only
    assert RtcTokenGrant.objects.get(user=user).use == CONVERSATION_USE


@RTM_ON
def test_token_endpoint_conversation_outsider_refused_404_nothing_issued(client):
    # given
    conversation = conversation_with()
    client.force_login(UserFactory())
    # when
    response = client.post(
        TOKEN_URL, {"use": CONVERSATION_USE, "object_id": str(conversation.pk)}, content_type="application/json"
    )
    # then
    assert response.status_code == 404
    assert "token" not in response.json()
    assert not RtcTokenGrant.objects.exists()


@override_settings(AGORA_APP_ID=APP_ID, AGORA_APP_CERTIFICATE=APP_CERTIFICATE, AGORA_RTM_ENABLED=False)
def test_token_endpoint_conversation_rtm_off_refused_403_nothing_issued(client):
    # given
    conversation = conversation_with()
    client.force_login(conversation.client)
    # when
    response = client.post(
        TOKEN_URL, {"use": CONVERSATION_USE, "object_id": str(conversation.pk)}, content_type="application/json"
    )
    # then
    assert response.status_code == 403
    assert response.json()["code"] == "rtm_off"
    assert not RtcTokenGrant.objects.exists()
