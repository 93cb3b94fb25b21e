"""Test rooms for operators: an admin (with two-factor authentication) can open a named room to check that
voice and video work on this server end to end (tokens, SDK, network), alone or with another admin."""

from __future__ import annotations

from typing import Any

from .access import AccessDecision, AccessRefused, rtc_uid_for
from .channels import channel_name_for
from .enums import Modality, RtcRole

DIAGNOSTICS_USE = "diagnostics"


def diagnostics_object_id(*, modality: str, label: str) -> str:
    return f"{modality}-{label}"


def _has_totp(user: Any) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def diagnostics_rtc_access(*, user: Any, object_id: str) -> AccessDecision:
    if not user.is_staff or not _has_totp(user):
        raise AccessRefused("This room does not exist.", not_found=True)
    modality, _, label = object_id.partition("-")
    if modality not in (Modality.VOICE, Modality.VIDEO) or not label:
        raise AccessRefused("This room does not exist.", not_found=True)
    try:
        channel_name = channel_name_for("diag", object_id)
    except ValueError:
        raise AccessRefused("This room does not exist.", not_found=True) from None
    return AccessDecision(
        role=str(RtcRole.PUBLISHER),
        channel_name=channel_name,
        uid=rtc_uid_for(user),
        modality=modality,
    )
