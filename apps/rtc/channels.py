"""Unguessable channel names that still say, to us, which object they belong to.

A channel name is ``<kind>.<object_id>.<mac>`` where ``mac`` is an HMAC of kind and id under the server
secret (96 bits, URL-safe base64). Knowing an object id does not give its channel; an NCS event's channel
name can be mapped back to its object by recomputing the MAC.
"""

from __future__ import annotations

import base64
import hmac
import re

from django.utils.crypto import salted_hmac

MAX_CHANNEL_BYTES = 64  # Agora's limit for channel names
_KIND = re.compile(r"^[a-z][a-z0-9]{0,9}$")
_OBJECT_ID = re.compile(r"^[A-Za-z0-9_-]{1,36}$")


def _mac(kind: str, object_id: str) -> str:
    digest = salted_hmac("apps.rtc.channel_name", f"{kind}.{object_id}", algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest[:12]).decode("ascii")


def channel_name_for(kind: str, object_id: object) -> str:
    """The channel of one object (e.g. ``channel_name_for("session", 42)``)."""
    object_text = str(object_id)
    if not _KIND.match(kind):
        raise ValueError("A channel kind is 1-10 lowercase letters or digits, starting with a letter.")
    if not _OBJECT_ID.match(object_text):
        raise ValueError("A channel object id is 1-36 letters, digits, '-' or '_'.")
    name = f"{kind}.{object_text}.{_mac(kind, object_text)}"
    assert len(name.encode()) <= MAX_CHANNEL_BYTES  # guaranteed by the patterns above
    return name


def channel_subject(channel_name: str) -> tuple[str, str] | None:
    """(kind, object_id) of a channel we named, or None for any other name (or a forged one)."""
    parts = channel_name.split(".")
    if len(parts) != 3:
        return None
    kind, object_id, mac = parts
    if not _KIND.match(kind) or not _OBJECT_ID.match(object_id):
        return None
    if not hmac.compare_digest(mac, _mac(kind, object_id)):
        return None
    return kind, object_id
