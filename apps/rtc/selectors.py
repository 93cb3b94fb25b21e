"""Reads of the rtc app: what the platform can offer, room settings for templates, operator views."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.middleware.csrf import get_token
from django.urls import reverse

from apps.core.integrations import agora_enabled

from .enums import Modality
from .models import NcsEvent, PresenceSignal, RtcConnectionEvent, RtcTokenGrant

AGORA_UNAVAILABLE_MESSAGE = "Voice and video need Agora to be configured on this server; text readings keep working."


def modalities_available() -> tuple[str, ...]:
    """Which reading modalities can be offered now: text always, voice and video only with Agora."""
    if agora_enabled():
        return (str(Modality.TEXT), str(Modality.VOICE), str(Modality.VIDEO))
    return (str(Modality.TEXT),)


def livestreams_available() -> bool:
    return agora_enabled()


def rtm_enabled() -> bool:
    """RTM (signalling for chat and events) must also be switched on for the Agora project."""
    return agora_enabled() and bool(getattr(settings, "AGORA_RTM_ENABLED", False))


def ncs_enabled() -> bool:
    return bool(settings.AGORA_NCS_SECRET)


def rtc_room_context(
    *, request: Any, use: str, object_id: object, modality: str, title: str = "", presence_url: str | None = None
) -> dict[str, Any]:
    """Everything ``rtc/partials/_room.html`` needs. Other apps call this from their views:

    ``{% include "rtc/partials/_room.html" with room=rtc_room %}``

    ``presence_url`` lets an app receive connection reports at its own endpoint; by default they go to
    the generic presence endpoint of this app, which records them and signals presence hooks.
    """
    if modality not in (Modality.VOICE, Modality.VIDEO):
        raise ValueError("A room is either voice or video.")
    return {
        "enabled": agora_enabled(),
        "unavailable_message": AGORA_UNAVAILABLE_MESSAGE,
        "use": use,
        "object_id": str(object_id),
        "modality": modality,
        "title": title or ("Video room" if modality == Modality.VIDEO else "Voice room"),
        "token_url": reverse("rtc_api:token"),
        "renew_url": reverse("rtc_api:token-renew"),
        "presence_url": presence_url or reverse("rtc_api:presence"),
        "csrf_token": get_token(request),
        "rtm_enabled": rtm_enabled(),
    }


def rtc_doorbell_context(
    *, request: Any, use: str, object_id: object, channel_name: str, refresh_event: str, ring: bool = False
) -> dict[str, Any] | None:
    """What ``rtc/partials/_doorbell.html`` needs, or None without RTM (the page then only polls).

    A doorbell carries no content: a page that has just saved something rings (publishes "changed" on the
    channel), and every page on the channel answers by dispatching ``refresh_event`` on ``<body>``, which the
    HTMX poller of the same partial already listens to. Call it only for someone the page belongs to (the
    views 404 everyone else first); the token endpoint checks again through the ``use``'s access check.
    ``ring`` makes the page ring once when it loads (after a form post that redirected here).
    """
    if not rtm_enabled():
        return None
    return {
        "use": use,
        "object_id": str(object_id),
        "channel": channel_name,
        "refresh_event": refresh_event,
        "ring": ring,
        "token_url": reverse("rtc_api:token"),
        "renew_url": reverse("rtc_api:token-renew"),
        "csrf_token": get_token(request),
    }


def agora_kicking_enabled() -> bool:
    """Removing people from channels (Agora's RESTful kicking rules) needs Agora and RESTful customer credentials."""
    return agora_enabled() and bool(settings.AGORA_CUSTOMER_ID and settings.AGORA_CUSTOMER_SECRET)


def integration_status() -> dict[str, Any]:
    """For operators: what is configured (never the secrets themselves)."""
    app_id = settings.AGORA_APP_ID
    return {
        "agora_enabled": agora_enabled(),
        "app_id_set": bool(app_id),
        "app_id_hint": f"{app_id[:4]}…{app_id[-4:]}" if len(app_id) >= 8 else "",
        "certificate_set": bool(settings.AGORA_APP_CERTIFICATE),
        "rtm_enabled": rtm_enabled(),
        "ncs_enabled": ncs_enabled(),
        "token_ttl_seconds": settings.AGORA_TOKEN_TTL_SECONDS,
        "reading_margin_seconds": settings.READING_TOKEN_PAID_MARGIN_SECONDS,
        "kicking_enabled": agora_kicking_enabled(),
        "customer_id_set": bool(settings.AGORA_CUSTOMER_ID),
        "customer_secret_set": bool(settings.AGORA_CUSTOMER_SECRET),
        "modalities": [Modality(m).label for m in modalities_available()],
    }


def rtc_token_grant_list_recent(*, limit: int = 20) -> QuerySet[RtcTokenGrant]:
    return RtcTokenGrant.objects.select_related("user").order_by("-created_at", "-pk")[:limit]


def ncs_event_list_recent(*, limit: int = 20) -> QuerySet[NcsEvent]:
    return NcsEvent.objects.order_by("-received_at", "-pk")[:limit]


def presence_signal_list_recent(*, limit: int = 20) -> QuerySet[PresenceSignal]:
    return PresenceSignal.objects.select_related("user").order_by("-created_at", "-pk")[:limit]


def rtc_connection_event_list(*, use: str, object_id: str) -> QuerySet[RtcConnectionEvent]:
    return RtcConnectionEvent.objects.filter(use=use, object_id=object_id).select_related("user")
