"""Access checks: the domain rules that decide whether a user may have a token for a room.

Each use ("session", "stream", ...) registers one check, usually in its AppConfig.ready():

    register_access_check("session", session_rtc_access)

A check is called as ``check(user=..., object_id=...)`` and either returns an ``AccessDecision`` or raises
``AccessRefused``. It runs on every issue *and* every renewal, so a reading that has ended or run out of
funds gets no new token. A use may register a separate ``presence_check`` for connection reports (for
example to accept a "disconnected" report from a party of a paused reading); without one, the token check
is used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from apps.core.exceptions import DomainError

from .enums import ChannelProfile, Modality, RtcRole

# The refusal code of a paid room that is in use but whose time in hand is not charged yet (a reading's next
# minute is charged within seconds of its start): clients ask again shortly, and kicks leave the room alone.
PAYMENT_PENDING = "payment_pending"


class AccessRefused(DomainError):
    """The domain check said no (403). ``not_found`` hides the object's existence (answered as 404)."""

    default_message = "You cannot join this room."
    status_code = 403

    def __init__(self, message: str | None = None, *, not_found: bool = False, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.not_found = not_found
        if not_found:
            self.status_code = 404


@dataclass(frozen=True)
class AccessDecision:
    role: str  # RtcRole
    channel_name: str
    uid: int
    modality: str = str(Modality.VIDEO)
    profile: str = str(ChannelProfile.COMMUNICATION)
    # The latest instant the token's privileges may last (aware). A paid room passes the end of the time already
    # paid for (plus a small margin), so Agora itself drops the user when the money runs out; None: the
    # configured AGORA_TOKEN_TTL_SECONDS. The token never outlives either.
    expires_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.role not in RtcRole.values:
            raise ValueError("A room role is publisher or subscriber.")
        if self.profile not in ChannelProfile.values:
            raise ValueError("A room profile is rtc or live.")
        if self.modality not in (Modality.VOICE, Modality.VIDEO):
            raise ValueError("A room is either voice or video.")
        if not 0 < self.uid <= 0xFFFFFFFF:
            raise ValueError("An RTC uid must be between 1 and 4294967295.")


AccessCheck = Callable[..., AccessDecision]


@dataclass(frozen=True)
class _Registered:
    token: AccessCheck
    presence: AccessCheck


_CHECKS: dict[str, _Registered] = {}


def register_access_check(use: str, check: AccessCheck, *, presence_check: AccessCheck | None = None) -> None:
    if use in _CHECKS and _CHECKS[use].token is not check:
        raise ValueError(f"An access check for {use!r} is already registered.")
    _CHECKS[use] = _Registered(token=check, presence=presence_check or check)


def access_decide(*, use: str, user: Any, object_id: str, for_presence: bool = False) -> AccessDecision:
    """Run the registered check; an unknown use is refused like an unknown object."""
    registered = _CHECKS.get(use)
    if registered is None or not getattr(user, "is_authenticated", False):
        raise AccessRefused("This room does not exist.", not_found=True)
    check = registered.presence if for_presence else registered.token
    return check(user=user, object_id=object_id)


def registered_uses() -> list[str]:
    return sorted(_CHECKS)


def rtc_uid_for(user: Any) -> int:
    """A user's numeric RTC uid (their user id): NCS events name users by it."""
    return int(user.pk)
