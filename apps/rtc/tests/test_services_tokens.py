"""Token issuance and renewal: only after the room's access check says yes, with the right privileges."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.core.exceptions import IntegrationNotConfigured
from apps.rtc import tokens
from apps.rtc.access import AccessRefused
from apps.rtc.channels import channel_name_for
from apps.rtc.models import RtcTokenGrant
from apps.rtc.services import rtc_token_issue, rtc_token_renew
from apps.rtc.tokens import RtcPrivilege, ServiceType

from .conftest import APP_CERTIFICATE, APP_ID, USE

pytestmark = pytest.mark.django_db

ALL_PUBLISH = {
    RtcPrivilege.JOIN_CHANNEL,
    RtcPrivilege.PUBLISH_AUDIO_STREAM,
    RtcPrivilege.PUBLISH_VIDEO_STREAM,
    RtcPrivilege.PUBLISH_DATA_STREAM,
}


def _rtc(token: str):
    parsed = tokens.verify_token(token, APP_CERTIFICATE)
    service = parsed.service(ServiceType.RTC)
    assert service is not None
    return parsed, service


def test_rtc_token_issue_publisher_token_decodes_to_channel_uid_privileges_and_expiry(agora, room_rules, client_user):
    # given
    room_rules.roles[client_user.pk] = "publisher"
    before = timezone.now().replace(microsecond=0)
    # when
    issued = rtc_token_issue(actor=client_user, use=USE, object_id="17")
    # then
    parsed, rtc = _rtc(issued.token)
    assert parsed.app_id == APP_ID
    assert rtc.fields == {"channel_name": channel_name_for(USE, "17"), "uid": str(client_user.pk)}
    assert set(rtc.privileges) == ALL_PUBLISH
    assert set(rtc.privileges.values()) == {1200}
    assert parsed.expire == 1200
    assert before <= issued.issued_at <= timezone.now()
    assert parsed.issue_ts == int(issued.issued_at.timestamp())
    assert issued.expires_at == issued.issued_at + timedelta(seconds=1200)
    assert issued.channel_name == channel_name_for(USE, "17")
    assert issued.uid == client_user.pk


def test_rtc_token_issue_subscriber_token_has_no_publish_privilege(agora, room_rules, client_user):
    # given
    room_rules.roles[client_user.pk] = "subscriber"
    room_rules.profile = "live"
    # when
    issued = rtc_token_issue(actor=client_user, use=USE, object_id="5")
    # then
    _, rtc = _rtc(issued.token)
    assert set(rtc.privileges) == {RtcPrivilege.JOIN_CHANNEL}
    assert issued.privileges == ("join_channel",)
    assert issued.as_json()["role"] == "subscriber"
    assert issued.as_json()["profile"] == "live"


def test_rtc_token_issue_voice_room_publisher_cannot_publish_video(agora, room_rules, client_user):
    # given
    room_rules.roles[client_user.pk] = "publisher"
    room_rules.modality = "voice"
    # when
    issued = rtc_token_issue(actor=client_user, use=USE, object_id="5")
    # then
    _, rtc = _rtc(issued.token)
    assert RtcPrivilege.PUBLISH_VIDEO_STREAM not in rtc.privileges
    assert RtcPrivilege.PUBLISH_AUDIO_STREAM in rtc.privileges


def test_rtc_token_issue_ttl_from_settings(agora, room_rules, client_user):
    # given
    agora.AGORA_TOKEN_TTL_SECONDS = 300
    room_rules.roles[client_user.pk] = "subscriber"
    # when
    issued = rtc_token_issue(actor=client_user, use=USE, object_id="5")
    # then
    parsed, rtc = _rtc(issued.token)
    assert parsed.expire == 300
    assert dict(rtc.privileges) == {RtcPrivilege.JOIN_CHANNEL: 300}
    assert issued.as_json()["ttl_seconds"] == 300


def test_rtc_token_issue_records_grant_without_the_token(agora, room_rules, client_user):
    # given
    room_rules.roles[client_user.pk] = "publisher"
    # when
    issued = rtc_token_issue(actor=client_user, use=USE, object_id="9")
    # then
    grant = RtcTokenGrant.objects.get()
    assert (grant.user, grant.use, grant.object_id, grant.role) == (client_user, USE, "9", "publisher")
    assert grant.channel_name == issued.channel_name
    assert grant.privileges == list(issued.privileges)
    assert grant.expires_at == issued.expires_at
    assert grant.is_renewal is False
    assert issued.token not in str(grant.__dict__)


def test_rtc_token_issue_with_rtm_adds_login_token_for_same_uid(agora, room_rules, client_user):
    # given
    agora.AGORA_RTM_ENABLED = True
    room_rules.roles[client_user.pk] = "subscriber"
    # when
    issued = rtc_token_issue(actor=client_user, use=USE, object_id="3")
    # then
    assert issued.rtm_token is not None
    rtm = tokens.verify_token(issued.rtm_token, APP_CERTIFICATE).service(ServiceType.RTM)
    assert rtm is not None
    assert rtm.fields == {"user_id": str(client_user.pk)}
    assert issued.as_json()["rtm"]["channel"] == issued.channel_name
    assert RtcTokenGrant.objects.get().has_rtm is True


@pytest.mark.parametrize(("role", "not_found"), [(None, True), ("forbidden", False)])
def test_rtc_token_issue_check_refuses_nothing_issued(agora, room_rules, client_user, role, not_found):
    # given
    if role:
        room_rules.roles[client_user.pk] = role
    # when
    with pytest.raises(AccessRefused) as refused:
        rtc_token_issue(actor=client_user, use=USE, object_id="1")
    # then
    assert refused.value.not_found is not_found
    assert not RtcTokenGrant.objects.exists()


def test_rtc_token_issue_unknown_use_refused_as_not_found(agora, client_user):
    with pytest.raises(AccessRefused) as refused:
        rtc_token_issue(actor=client_user, use="nosuchroom", object_id="1")
    assert refused.value.not_found is True


def test_rtc_token_issue_agora_not_configured_refused(agora_off, room_rules, client_user):
    # given
    room_rules.roles[client_user.pk] = "publisher"
    # when / then
    with pytest.raises(IntegrationNotConfigured, match="Agora to be configured"):
        rtc_token_issue(actor=client_user, use=USE, object_id="1")
    assert room_rules.calls == []
    assert not RtcTokenGrant.objects.exists()


def test_rtc_token_renew_reruns_check_each_time(agora, room_rules, client_user):
    # given
    room_rules.roles[client_user.pk] = "publisher"
    first = rtc_token_issue(actor=client_user, use=USE, object_id="4")
    # when
    renewed = rtc_token_renew(actor=client_user, use=USE, object_id="4", channel_name=first.channel_name)
    # then
    assert len(room_rules.calls) == 2
    assert renewed.token != first.token
    assert RtcTokenGrant.objects.filter(is_renewal=True).count() == 1


def test_rtc_token_renew_after_room_closed_refused(agora, room_rules, client_user):
    # given: a token was issued, then the reading ended
    room_rules.roles[client_user.pk] = "publisher"
    first = rtc_token_issue(actor=client_user, use=USE, object_id="4")
    room_rules.roles[client_user.pk] = "forbidden"
    # when
    with pytest.raises(AccessRefused):
        rtc_token_renew(actor=client_user, use=USE, object_id="4", channel_name=first.channel_name)
    # then
    assert RtcTokenGrant.objects.count() == 1


def test_rtc_token_renew_for_other_channel_refused(agora, room_rules, client_user):
    # given
    room_rules.roles[client_user.pk] = "publisher"
    # when / then
    with pytest.raises(AccessRefused):
        rtc_token_renew(actor=client_user, use=USE, object_id="4", channel_name=channel_name_for(USE, "5"))
    assert not RtcTokenGrant.objects.exists()


def test_rtc_token_issue_access_check_limit_cuts_every_privilege_and_the_token(agora, room_rules, client_user):
    # given: the room's check allows access only for the next 95.7 seconds (say, the time paid for)
    room_rules.roles[client_user.pk] = "publisher"
    room_rules.expires_at = timezone.now() + timedelta(seconds=95, milliseconds=700)
    # when
    issued = rtc_token_issue(actor=client_user, use=USE, object_id="9")
    # then: rounded down, never past the limit
    parsed, rtc = _rtc(issued.token)
    ends = {parsed.issue_ts + expire for expire in rtc.privileges.values()}
    assert ends == {parsed.issue_ts + parsed.expire} == {int(room_rules.expires_at.timestamp())}
    assert issued.expires_at <= room_rules.expires_at
    assert RtcTokenGrant.objects.get().expires_at == issued.expires_at


def test_rtc_token_issue_access_check_limit_past_refused_and_nothing_recorded(agora, room_rules, client_user):
    # given
    room_rules.roles[client_user.pk] = "publisher"
    room_rules.expires_at = timezone.now() - timedelta(seconds=1)
    # when / then
    with pytest.raises(AccessRefused) as refused:
        rtc_token_issue(actor=client_user, use=USE, object_id="9")
    assert refused.value.code == "expired"
    assert not RtcTokenGrant.objects.exists()


def test_rtc_token_issue_limit_later_than_ttl_keeps_configured_ttl(agora, room_rules, client_user):
    # given
    room_rules.roles[client_user.pk] = "publisher"
    room_rules.expires_at = timezone.now() + timedelta(hours=5)
    # when
    issued = rtc_token_issue(actor=client_user, use=USE, object_id="9")
    # then
    parsed, rtc = _rtc(issued.token)
    assert parsed.expire == 1200 and set(rtc.privileges.values()) == {1200}
