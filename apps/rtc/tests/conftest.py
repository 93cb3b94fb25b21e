"""Fixtures of the rtc tests: Agora credentials in settings and a room use whose access check a test controls."""

from dataclasses import dataclass, field
from datetime import datetime

import pytest

from apps.rtc import access
from apps.rtc.access import AccessDecision, AccessRefused, rtc_uid_for
from apps.rtc.channels import channel_name_for

APP_ID = "970CA35de60c44645bbae8a215061b33"
APP_CERTIFICATE = "5CFd2fd1755d40ecb72977518be15d3b"
NCS_SECRET = "ncs-test-secret"
USE = "testroom"


@pytest.fixture
def agora(settings):
    settings.AGORA_APP_ID = APP_ID
    settings.AGORA_APP_CERTIFICATE = APP_CERTIFICATE
    settings.AGORA_TOKEN_TTL_SECONDS = 1200
    settings.AGORA_RTM_ENABLED = False
    return settings


@pytest.fixture
def agora_off(settings):
    settings.AGORA_APP_ID = ""
    settings.AGORA_APP_CERTIFICATE = ""
    return settings


@dataclass
class RoomRules:
    """What the room's check answers: per user id, "publisher", "subscriber", "forbidden" or absent (404)."""

    roles: dict[int, str] = field(default_factory=dict)
    modality: str = "video"
    profile: str = "rtc"
    expires_at: datetime | None = None
    calls: list[tuple[int, str]] = field(default_factory=list)

    def check(self, *, user, object_id: str) -> AccessDecision:
        self.calls.append((user.pk, object_id))
        role = self.roles.get(user.pk)
        if role is None:
            raise AccessRefused("This room does not exist.", not_found=True)
        if role == "forbidden":
            raise AccessRefused("This reading has ended.", code="ended")
        return AccessDecision(
            role=role,
            channel_name=channel_name_for(USE, object_id),
            uid=rtc_uid_for(user),
            modality=self.modality,
            profile=self.profile,
            expires_at=self.expires_at,
        )


@pytest.fixture
def room_rules():
    rules = RoomRules()
    access.register_access_check(USE, rules.check)
    yield rules
    access._CHECKS.pop(USE, None)
