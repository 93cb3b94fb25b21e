"""Trust levels (simple, after Discourse's): new accounts get stricter rate limits and may not post links or
attach files until they have been around a day and done something real on the site.

- NEW: the account is under 24 hours old, or no registered activity counts for it yet;
- BASIC: older than a day with some activity (a completed reading, a visible forum post ...);
- TRUSTED: admins and moderators, or set by an admin.

The level is computed whenever it is asked for, so it rises by itself; an admin's ``TrustOverride`` replaces the
computed level. Apps say what counts as activity with ``trust_activity_register(func)``, ``func(user) -> bool``,
in their ``AppConfig.ready``.
"""

from collections.abc import Callable
from datetime import timedelta
from enum import IntEnum
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from apps.core.ratelimit import rate_limit_consume

from .models import TrustOverride
from .roles import is_moderator

NEW_ACCOUNT_AGE = timedelta(hours=24)
_CACHE = "_moderation_trust_level"


class TrustLevel(IntEnum):
    NEW = 0
    BASIC = 1
    TRUSTED = 2

    @property
    def label(self) -> str:
        return self.name.capitalize()

    @classmethod
    def choices(cls) -> list[tuple[int, str]]:
        return [(level.value, level.label) for level in cls]


_ACTIVITY: list[Callable[[Any], bool]] = []


def trust_activity_register(func: Callable[[Any], bool]) -> Callable[[Any], bool]:
    """Count ``func(user) -> bool`` as activity that lifts an account past NEW. Registering it again is harmless."""
    if not callable(func):
        raise ImproperlyConfigured("A trust activity must be a callable taking the user.")
    if func not in _ACTIVITY:
        _ACTIVITY.append(func)
    return func


def trust_activities() -> list[Callable[[Any], bool]]:
    return list(_ACTIVITY)


def computed_trust_level(user: Any) -> TrustLevel:
    """The level without the admin's override."""
    if not getattr(user, "is_authenticated", False):
        return TrustLevel.NEW
    if is_moderator(user):
        return TrustLevel.TRUSTED
    if user.date_joined > timezone.now() - NEW_ACCOUNT_AGE:
        return TrustLevel.NEW
    return TrustLevel.BASIC if any(activity(user) for activity in _ACTIVITY) else TrustLevel.NEW


def trust_override_get(user: Any) -> TrustOverride | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return TrustOverride.objects.filter(user_id=user.pk).first()


def trust_level(user: Any) -> TrustLevel:
    """The user's trust level now: an admin's override, else the computed one. Cached on the user object."""
    if not getattr(user, "is_authenticated", False):
        return TrustLevel.NEW
    cached = getattr(user, _CACHE, None)
    if cached is None:
        override = TrustOverride.objects.filter(user_id=user.pk).values_list("level", flat=True).first()
        cached = TrustLevel(override) if override is not None else computed_trust_level(user)
        setattr(user, _CACHE, cached)
    return TrustLevel(cached)


def trust_cache_clear(user: Any) -> None:
    if hasattr(user, _CACHE):
        delattr(user, _CACHE)


def may_post_links(user: Any) -> bool:
    return trust_level(user) >= TrustLevel.BASIC


def may_attach_files(user: Any) -> bool:
    return trust_level(user) >= TrustLevel.BASIC


def trust_rate_limit(user: Any, *, action: str, normal: tuple[int, int], new: tuple[int, int]) -> None:
    """Count one ``action`` by ``user``: ``normal`` (count, window seconds) for BASIC and above, the stricter
    ``new`` for NEW accounts. Raises ``RateLimitedError`` (429) past the limit, before anything is written."""
    is_new = trust_level(user) == TrustLevel.NEW
    limit, window = new if is_new else normal
    message = f"You can do this {limit} times every {_window_text(window)}. Please wait a moment and try again."
    if is_new:
        message += " New accounts have a lower limit for their first day and until they take part on the site."
    rate_limit_consume(scope=f"trust:{action}", subject_id=user.pk, limit=limit, window_seconds=window, message=message)


def _window_text(seconds: int) -> str:
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return "hour" if hours == 1 else f"{hours} hours"
    if seconds % 60 == 0:
        minutes = seconds // 60
        return "minute" if minutes == 1 else f"{minutes} minutes"
    return f"{seconds} seconds"
