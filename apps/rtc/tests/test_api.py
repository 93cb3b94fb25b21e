"""JSON endpoints: issue, renew and presence, for browsers (session + CSRF) and mobile apps."""

import pytest
from django.test import Client
from django.urls import reverse

from apps.rtc import tokens
from apps.rtc.channels import channel_name_for
from apps.rtc.models import PresenceSignal, RtcConnectionEvent, RtcTokenGrant
from apps.rtc.presence import presence_subscribe, presence_unsubscribe
from apps.rtc.tokens import RtcPrivilege, ServiceType

from .conftest import APP_CERTIFICATE, USE

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/rtc/token/"
RENEW_URL = "/api/v1/rtc/token/renew/"
PRESENCE_URL = "/api/v1/rtc/presence/"


@pytest.fixture
def api(client, client_user):
    client.force_login(client_user)
    return client


def test_urls_are_mounted_under_api_v1():
    assert reverse("rtc_api:token") == TOKEN_URL
    assert reverse("rtc_api:token-renew") == RENEW_URL
    assert reverse("rtc_api:presence") == PRESENCE_URL


def test_token_endpoint_allowed_returns_verifiable_credentials(api, agora, room_rules, client_user):
    # given
    room_rules.roles[client_user.pk] = "publisher"
    # when
    response = api.post(TOKEN_URL, {"use": USE, "object_id": "12"}, content_type="application/json")
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["channel"] == channel_name_for(USE, "12")
    assert body["uid"] == client_user.pk
    assert body["role"] == "publisher"
    assert body["modality"] == "video"
    assert body["rtm"] is None
    rtc = tokens.verify_token(body["token"], APP_CERTIFICATE).service(ServiceType.RTC)
    assert rtc is not None
    assert rtc.fields["channel_name"] == body["channel"]
    assert RtcPrivilege.PUBLISH_VIDEO_STREAM in rtc.privileges


def test_token_endpoint_subscriber_gets_join_only(api, agora, room_rules, client_user):
    # given
    room_rules.roles[client_user.pk] = "subscriber"
    # when
    body = api.post(TOKEN_URL, {"use": USE, "object_id": "12"}, content_type="application/json").json()
    # then
    rtc = tokens.verify_token(body["token"], APP_CERTIFICATE).service(ServiceType.RTC)
    assert rtc is not None
    assert set(rtc.privileges) == {RtcPrivilege.JOIN_CHANNEL}
    assert body["privileges"] == ["join_channel"]


@pytest.mark.parametrize("url", [TOKEN_URL, RENEW_URL])
@pytest.mark.parametrize(("role", "status"), [(None, 404), ("forbidden", 403)])
def test_token_endpoints_check_refuses_nothing_issued(api, agora, room_rules, client_user, url, role, status):
    # given
    if role:
        room_rules.roles[client_user.pk] = role
    # when
    response = api.post(url, {"use": USE, "object_id": "12"}, content_type="application/json")
    # then
    assert response.status_code == status
    assert "token" not in response.json()
    assert not RtcTokenGrant.objects.exists()


def test_renew_endpoint_after_room_closed_issues_nothing(api, agora, room_rules, client_user):
    # given
    room_rules.roles[client_user.pk] = "publisher"
    first = api.post(TOKEN_URL, {"use": USE, "object_id": "12"}, content_type="application/json").json()
    room_rules.roles[client_user.pk] = "forbidden"
    # when
    response = api.post(
        RENEW_URL, {"use": USE, "object_id": "12", "channel": first["channel"]}, content_type="application/json"
    )
    # then
    assert response.status_code == 403
    assert response.json()["detail"] == "This reading has ended."
    assert RtcTokenGrant.objects.count() == 1


def test_renew_endpoint_allowed_returns_new_token(api, agora, room_rules, client_user):
    # given
    room_rules.roles[client_user.pk] = "publisher"
    first = api.post(TOKEN_URL, {"use": USE, "object_id": "12"}, content_type="application/json").json()
    # when
    response = api.post(
        RENEW_URL, {"use": USE, "object_id": "12", "channel": first["channel"]}, content_type="application/json"
    )
    # then
    assert response.status_code == 200
    assert response.json()["channel"] == first["channel"]
    assert RtcTokenGrant.objects.filter(is_renewal=True).count() == 1


@pytest.mark.parametrize("url", [TOKEN_URL, RENEW_URL])
def test_token_endpoints_agora_not_configured_answer_503(api, agora_off, room_rules, client_user, url):
    # given
    room_rules.roles[client_user.pk] = "publisher"
    # when
    response = api.post(url, {"use": USE, "object_id": "12"}, content_type="application/json")
    # then
    assert response.status_code == 503
    assert response.json()["detail"] == (
        "Voice and video need Agora to be configured on this server; text readings keep working."
    )


@pytest.mark.parametrize("url", [TOKEN_URL, RENEW_URL, PRESENCE_URL])
def test_endpoints_anonymous_refused(client, agora, url):
    response = client.post(url, {"use": USE, "object_id": "12"}, content_type="application/json")
    assert response.status_code in (401, 403)
    assert not RtcTokenGrant.objects.exists()


def test_token_endpoint_browser_without_csrf_refused(agora, room_rules, client_user):
    # given: a browser session, but no CSRF token
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(client_user)
    room_rules.roles[client_user.pk] = "publisher"
    # when
    response = browser.post(TOKEN_URL, {"use": USE, "object_id": "12"}, content_type="application/json")
    # then
    assert response.status_code == 403
    assert not RtcTokenGrant.objects.exists()


@pytest.mark.parametrize(
    "payload", [{}, {"use": USE}, {"use": "Bad Use", "object_id": "1"}, {"use": USE, "object_id": "a.b"}]
)
def test_token_endpoint_bad_input_answers_400(api, agora, room_rules, payload):
    response = api.post(TOKEN_URL, payload, content_type="application/json")
    assert response.status_code == 400
    assert room_rules.calls == []


def test_token_endpoint_rate_limited(api, agora, room_rules, client_user):
    # given
    room_rules.roles[client_user.pk] = "subscriber"
    for _ in range(30):
        assert api.post(TOKEN_URL, {"use": USE, "object_id": "1"}, content_type="application/json").status_code == 200
    # when
    response = api.post(TOKEN_URL, {"use": USE, "object_id": "1"}, content_type="application/json")
    # then
    assert response.status_code == 429
    assert RtcTokenGrant.objects.count() == 30


def test_presence_endpoint_connected_records_event_and_signals_hooks(
    api, agora, room_rules, client_user, django_capture_on_commit_callbacks
):
    # given
    room_rules.roles[client_user.pk] = "subscriber"
    seen = []
    hook = seen.append
    presence_subscribe(USE, hook)
    try:
        # when
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post(
                PRESENCE_URL,
                {"use": USE, "object_id": "8", "state": "CONNECTED", "previous_state": "CONNECTING"},
                content_type="application/json",
            )
    finally:
        presence_unsubscribe(USE, hook)
    # then
    assert response.status_code == 201
    event = RtcConnectionEvent.objects.get()
    assert (event.user, event.state, event.previous_state) == (client_user, "CONNECTED", "CONNECTING")
    assert event.channel_name == channel_name_for(USE, "8")
    signal = PresenceSignal.objects.get()
    assert (signal.is_present, signal.source, signal.uid, signal.object_id) == (True, "client", client_user.pk, "8")
    assert [s.pk for s in seen] == [signal.pk]


@pytest.mark.parametrize(("state", "present"), [("RECONNECTING", False), ("DISCONNECTED", False), ("CONNECTING", None)])
def test_presence_endpoint_states_map_to_presence(api, agora, room_rules, client_user, state, present):
    # given
    room_rules.roles[client_user.pk] = "publisher"
    # when
    response = api.post(
        PRESENCE_URL,
        {"use": USE, "object_id": "8", "state": state, "reason": "NETWORK_ERROR"},
        content_type="application/json",
    )
    # then
    assert response.status_code == 201
    signal = PresenceSignal.objects.first()
    assert (signal.is_present if signal else None) == present


def test_presence_endpoint_outsider_refused_nothing_recorded(api, agora, room_rules):
    # when
    response = api.post(
        PRESENCE_URL, {"use": USE, "object_id": "8", "state": "CONNECTED"}, content_type="application/json"
    )
    # then
    assert response.status_code == 404
    assert not RtcConnectionEvent.objects.exists()
    assert not PresenceSignal.objects.exists()


def test_presence_endpoint_unknown_state_answers_400(api, agora, room_rules, client_user):
    room_rules.roles[client_user.pk] = "publisher"
    response = api.post(
        PRESENCE_URL, {"use": USE, "object_id": "8", "state": "ONLINE"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert not RtcConnectionEvent.objects.exists()


def test_token_endpoint_mobile_app_session_token_works_without_csrf(agora, room_rules):
    # given: a mobile app signed in through the headless API (token, no cookies, no CSRF)
    from apps.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

    user = UserFactory(email="phone@example.com")
    room_rules.roles[user.pk] = "subscriber"
    login = Client().post(
        "/_allauth/app/v1/auth/login",
        {"email": "phone@example.com", "password": DEFAULT_PASSWORD},
        content_type="application/json",
    )
    token = login.json()["meta"]["session_token"]
    # when
    response = Client(enforce_csrf_checks=True).post(
        TOKEN_URL, {"use": USE, "object_id": "3"}, content_type="application/json", HTTP_X_SESSION_TOKEN=token
    )
    # then
    assert response.status_code == 200
    assert response.json()["uid"] == user.pk
    assert response.json()["role"] == "subscriber"
