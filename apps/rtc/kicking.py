"""Removing people from a channel through Agora's RESTful channel-management API (kicking rules).

A room whose use stops (a reading pauses or ends) enqueues one outbox message per person, in the same
transaction as the state change (``rtc_kick_enqueue``); the ``rtc.agora_kick`` handler
(``outbox_handlers.py``) sends the request after commit and is retried with backoff until Agora accepts it.

The request, as Agora documents "Create a banning rule":

    POST {AGORA_REST_API_BASE}/dev/v1/kicking-rule
    Authorization: Basic base64("<customer id>:<customer secret>")
    Content-Type: application/json
    {"appid": "<app id>", "cname": "<channel>", "uid": <uid>, "time": <minutes>, "privileges": ["join_channel"]}

    200 {"status": "success", "id": <rule id>}

``time`` is the ban in minutes (Agora clamps it to [1, 1440]); 0 removes the person without a ban, so they
can rejoin at once with a valid token. A pause removes without a ban (resuming must rejoin at once; the
token in hand ends at the paid boundary anyway); an end bans until every token granted for the room has
expired. Without the customer id and secret (``AGORA_CUSTOMER_ID`` / ``AGORA_CUSTOMER_SECRET``) kicking is
off: nothing is enqueued and the staff status page says so.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import urllib.error
import urllib.request
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Max
from django.utils import timezone

from apps.core.outbox import outbox_enqueue

from .access import PAYMENT_PENDING, AccessRefused, access_decide
from .models import RtcTokenGrant
from .selectors import agora_kicking_enabled

logger = logging.getLogger(__name__)

KICK_HANDLER = "rtc.agora_kick"
KICK_PATH = "/dev/v1/kicking-rule"
MAX_BAN_MINUTES = 1440


class AgoraRestError(Exception):
    """Agora's RESTful API did not accept a request (the outbox retries it)."""


def rtc_kick_enqueue(
    *, use: str, object_id: object, channel_name: str, user_ids: list[int], event_key: str, final: bool
) -> int:
    """Enqueue one kick per person of ``use``/``object_id`` (``event_key`` names the change that stops the room;
    one message per person and event, however often this runs). ``final``: the room never reopens (ban until
    the tokens granted have expired). Returns how many were enqueued: none while kicking is off.

    Inner helper: the caller holds the transaction of the state change, so the kick commits with it.
    """
    if not agora_kicking_enabled():
        return 0
    for user_id in user_ids:
        outbox_enqueue(
            name=KICK_HANDLER,
            kwargs={
                "use": use,
                "object_id": str(object_id),
                "user_id": int(user_id),
                "channel_name": channel_name,
                "final": final,
            },
            dedupe_key=f"agora-kick:{use}:{object_id}:{event_key}:{user_id}",
        )
    return len(user_ids)


def ban_minutes(*, use: str, object_id: str, user_id: int, now: datetime) -> int:
    """Minutes until every token granted to ``user_id`` for this room has expired (0 when none is valid)."""
    latest = RtcTokenGrant.objects.filter(use=use, object_id=object_id, user_id=user_id).aggregate(
        latest=Max("expires_at")
    )["latest"]
    if latest is None or latest <= now:
        return 0
    return min(MAX_BAN_MINUTES, math.ceil((latest - now).total_seconds() / 60))


def agora_kick(*, use: str, object_id: str, user_id: int, channel_name: str, final: bool) -> dict[str, Any] | None:
    """Remove one person from a room's channel, unless the room's access check lets them in again by now (a
    paused reading that resumed before this ran). Raises ``AgoraRestError`` (retried) when Agora refuses.
    Returns Agora's answer, or None when nothing had to be sent."""
    if not agora_kicking_enabled():
        logger.warning("agora kick skipped: kicking is not configured", extra={"use": use, "object_id": object_id})
        return None
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        return None
    if not final and _open_again(use=use, user=user, object_id=object_id):
        logger.info("agora kick skipped: the room is open again", extra={"use": use, "object_id": object_id})
        return None
    minutes = ban_minutes(use=use, object_id=object_id, user_id=user_id, now=timezone.now()) if final else 0
    answer = agora_kick_rule_create(channel_name=channel_name, uid=user_id, minutes=minutes)
    logger.info(
        "agora kick sent",
        extra={"use": use, "object_id": object_id, "user_id": user_id, "minutes": minutes, "rule_id": answer.get("id")},
    )
    return answer


def _open_again(*, use: str, user: Any, object_id: str) -> bool:
    """The room's access check lets the person in again (or would, once the minute in progress is charged)."""
    try:
        access_decide(use=use, user=user, object_id=object_id)
    except AccessRefused as refusal:
        return refusal.code == PAYMENT_PENDING
    return True


def agora_kick_rule_create(*, channel_name: str, uid: int, minutes: int) -> dict[str, Any]:
    """POST one kicking rule (join_channel) for ``uid`` in ``channel_name``; Agora's answer on success."""
    body = {
        "appid": settings.AGORA_APP_ID,
        "cname": channel_name,
        "uid": uid,
        "time": minutes,
        "privileges": ["join_channel"],
    }
    url = settings.AGORA_REST_API_BASE.rstrip("/") + KICK_PATH
    if not url.startswith(("https://", "http://")):
        raise AgoraRestError("AGORA_REST_API_BASE must be an http(s) address.")
    credentials = f"{settings.AGORA_CUSTOMER_ID}:{settings.AGORA_CUSTOMER_SECRET}".encode()
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Authorization": "Basic " + base64.b64encode(credentials).decode("ascii"),
            "Content-Type": "application/json",
            "Accept": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.AGORA_REST_TIMEOUT_SECONDS) as response:  # noqa: S310  # nosec B310: https Agora URL
            raw = response.read()
    except urllib.error.HTTPError as error:
        detail = error.read()[:300].decode("utf-8", "replace")
        raise AgoraRestError(f"Agora refused the kicking rule ({error.code}): {detail}") from error
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise AgoraRestError(f"Agora's RESTful API could not be reached: {error}") from error
    try:
        answer = json.loads(raw)
    except ValueError as error:
        raise AgoraRestError("Agora answered the kicking rule with something that is not JSON.") from error
    if not isinstance(answer, dict) or answer.get("status") != "success":
        raise AgoraRestError(f"Agora did not create the kicking rule: {str(answer)[:300]}")
    return answer
