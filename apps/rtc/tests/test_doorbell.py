"""The doorbell's share of the rtc app: its template context and per-page RTM user ids."""

import pytest
from django.test import RequestFactory

from apps.rtc import tokens
from apps.rtc.channels import channel_name_for
from apps.rtc.selectors import rtc_doorbell_context
from apps.rtc.tokens import ServiceType

from .conftest import APP_CERTIFICATE, USE

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/rtc/token/"
RENEW_URL = "/api/v1/rtc/token/renew/"


def _context(ring=False):
    return rtc_doorbell_context(
        request=RequestFactory().get("/"),
        use=USE,
        object_id=7,
        channel_name=channel_name_for(USE, 7),
        refresh_event="rtc-ping",
        ring=ring,
    )


def test_rtc_doorbell_context_rtm_off_is_none(agora):
    # given: Agora without RTM
    # when
    context = _context()
    # then
    assert context is None


def test_rtc_doorbell_context_rtm_on_carries_channel_and_endpoints(agora):
    # given
    agora.AGORA_RTM_ENABLED = True
    # when
    context = _context(ring=True)
    # then
    assert context is not None
    assert context["channel"] == channel_name_for(USE, 7)
    assert context["object_id"] == "7"
    assert context["ring"] is True
    assert context["token_url"] == TOKEN_URL and context["renew_url"] == RENEW_URL
    assert context["csrf_token"]


def test_token_endpoints_rtm_tag_gives_tagged_rtm_user_on_issue_and_renew(client, client_user, agora, room_rules):
    # given
    agora.AGORA_RTM_ENABLED = True
    room_rules.roles[client_user.pk] = "subscriber"
    client.force_login(client_user)
    subject = {"use": USE, "object_id": "7", "rtm_tag": "ab12"}
    # when
    issued = client.post(TOKEN_URL, subject, content_type="application/json").json()
    renewed = client.post(
        RENEW_URL, {**subject, "channel": channel_name_for(USE, "7")}, content_type="application/json"
    ).json()
    # then
    for body in (issued, renewed):
        assert body["rtm"]["user_id"] == f"{client_user.pk}_ab12"
        rtm = tokens.verify_token(body["rtm"]["token"], APP_CERTIFICATE).service(ServiceType.RTM)
        assert rtm is not None and rtm.fields == {"user_id": f"{client_user.pk}_ab12"}


@pytest.mark.parametrize("tag", ["AB12", "a-b", "x" * 17, "a b"])
def test_token_endpoint_bad_rtm_tag_answers_400_nothing_issued(client, client_user, agora, room_rules, tag):
    # given
    agora.AGORA_RTM_ENABLED = True
    room_rules.roles[client_user.pk] = "subscriber"
    client.force_login(client_user)
    # when
    response = client.post(TOKEN_URL, {"use": USE, "object_id": "7", "rtm_tag": tag}, content_type="application/json")
    # then
    assert response.status_code == 400
    assert "rtm_tag" in response.json()
