"""python manage.py agora_token: a token on the first line, its decoded contents after it."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apps.rtc import tokens
from apps.rtc.tokens import RtcPrivilege, ServiceType

from .conftest import APP_CERTIFICATE, APP_ID


def _run(*args: str) -> list[str]:
    out = StringIO()
    call_command("agora_token", *args, stdout=out)
    return out.getvalue().splitlines()


def test_agora_token_publisher_prints_token_then_decoded_fields(agora):
    # when
    lines = _run("--channel", "ops-check", "--uid", "42", "--role", "publisher", "--ttl", "600")
    # then
    parsed = tokens.verify_token(lines[0], APP_CERTIFICATE)
    rtc = parsed.service(ServiceType.RTC)
    assert rtc is not None
    assert rtc.fields == {"channel_name": "ops-check", "uid": "42"}
    assert set(rtc.privileges) == set(RtcPrivilege)
    assert parsed.expire == 600
    text = "\n".join(lines[1:])
    assert f"app_id: {APP_ID}" in text
    assert "service rtc: channel_name='ops-check', uid='42'" in text
    assert "privilege publish_video_stream" in text
    assert "(issue + 600 s)" in text


def test_agora_token_subscriber_with_rtm_user(agora):
    # when
    lines = _run("--channel", "c", "--uid", "0", "--role", "subscriber", "--ttl", "60", "--rtm-user", "ops")
    # then
    parsed = tokens.verify_token(lines[0], APP_CERTIFICATE)
    rtc, rtm = parsed.service(ServiceType.RTC), parsed.service(ServiceType.RTM)
    assert rtc is not None and rtm is not None
    assert set(rtc.privileges) == {RtcPrivilege.JOIN_CHANNEL}
    assert rtc.fields["uid"] == ""
    assert rtm.fields == {"user_id": "ops"}
    assert "privilege publish_audio_stream" not in "\n".join(lines)
    assert "service rtm: user_id='ops'" in lines


def test_agora_token_string_account(agora):
    lines = _run("--channel", "c", "--uid", "reader-7", "--role", "subscriber", "--ttl", "60")
    rtc = tokens.parse_token(lines[0]).service(ServiceType.RTC)
    assert rtc is not None
    assert rtc.fields["uid"] == "reader-7"


def test_agora_token_default_ttl_from_settings(agora):
    agora.AGORA_TOKEN_TTL_SECONDS = 900
    lines = _run("--channel", "c", "--uid", "1", "--role", "subscriber")
    assert tokens.parse_token(lines[0]).expire == 900


def test_agora_token_not_configured_errors(agora_off):
    with pytest.raises(CommandError, match="Agora is not configured"):
        _run("--channel", "c", "--uid", "1", "--role", "publisher", "--ttl", "60")


def test_agora_token_bad_ttl_errors(agora):
    with pytest.raises(CommandError, match="positive"):
        _run("--channel", "c", "--uid", "1", "--role", "publisher", "--ttl", "0")
