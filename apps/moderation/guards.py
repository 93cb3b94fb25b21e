"""The write guard: a suspended user may read everything, top up and see their wallet, but not write.

Every service that lets a user write something others see (messages, paid replies, reading requests and chat,
bookings, reviews, stream chat, forum posts) calls ``write_guard(user)`` before it writes. Flagging is not
guarded: a suspended user may still report what they read.
"""

import zoneinfo
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from django.utils import formats, timezone

from apps.accounts.timezones import zone_or_none

from .exceptions import UserSuspended
from .models import Suspension

_CACHE = "_moderation_active_suspension"
_NONE = object()


def active_suspension(user: Any) -> Suspension | None:
    """The suspension in force for ``user`` now (the one ending last), or None. At most one query per user object:
    ``moderation_state_load`` caches the answer on it, so a request that checks several times (the guard, the
    banner) asks once."""
    if not getattr(user, "is_authenticated", False):
        return None
    if getattr(user, _CACHE, None) is None:
        moderation_state_load(user)
    cached: Any = getattr(user, _CACHE, _NONE)
    if cached is _NONE or (cached.ends_at is not None and cached.ends_at <= timezone.now()):
        return None
    return cast(Suspension, cached)


@lru_cache(maxsize=1)
def _state_sql() -> str:
    """The statement of ``moderation_state_load``, written once: built by the ORM on every page it cost more
    Python than the page's own query (four subqueries compiled per request)."""
    from django.contrib.auth import get_user_model

    from .models import ModeratorGrant

    return f"""
        SELECT EXISTS (SELECT 1 FROM {ModeratorGrant._meta.db_table} g
                        WHERE g.user_id = u.id AND g.revoked_at IS NULL),
               s.id, s.reason, s.starts_at, s.ends_at
          FROM {get_user_model()._meta.db_table} u
          LEFT JOIN LATERAL (
                SELECT id, reason, starts_at, ends_at FROM {Suspension._meta.db_table}
                 WHERE user_id = u.id AND lifted_at IS NULL AND starts_at <= %(now)s
                   AND (ends_at IS NULL OR ends_at > %(now)s)
                 ORDER BY ends_at DESC NULLS FIRST, id DESC
                 LIMIT 1) s ON true
         WHERE u.id = %(user)s
    """  # noqa: S608  # nosec B608: table names from the models, values are parameters


def moderation_state_load(user: Any) -> None:
    """Load, in one query, what every page asks about a signed-in user: their suspension in force and whether they
    hold a moderator grant, and cache both on the user object (the banner and the account menu use them)."""
    from apps.core.db import prepared_cursor

    from .roles import MODERATOR_CACHE

    if not getattr(user, "is_authenticated", False):
        return
    need_grant = not user.is_staff and getattr(user, MODERATOR_CACHE, None) is None
    if getattr(user, _CACHE, None) is not None and not need_grant:
        return
    with prepared_cursor() as cursor:
        cursor.execute(_state_sql(), {"user": user.pk, "now": timezone.now()})
        row = cursor.fetchone()
    if row is None:
        return
    granted, suspension_pk, reason, starts_at, ends_at = row
    if need_grant:
        setattr(user, MODERATOR_CACHE, bool(granted))
    if getattr(user, _CACHE, None) is None:
        found: Any = _NONE
        if suspension_pk is not None:
            found = Suspension(pk=suspension_pk, user_id=user.pk, reason=reason, starts_at=starts_at, ends_at=ends_at)
        setattr(user, _CACHE, found)


def suspension_cache_clear(user: Any) -> None:
    if hasattr(user, _CACHE):
        delattr(user, _CACHE)


def suspension_end_text(*, ends_at: datetime | None, zone_name: str) -> str:
    """When a suspension ends, in the user's time zone ("until 14 December 2026, 09:00 (Europe/London)")."""
    if ends_at is None:
        return "until a moderator lifts it"
    zone = zone_or_none(zone_name)
    if zone is None:
        zone, zone_name = zoneinfo.ZoneInfo("UTC"), "UTC"
    local = ends_at.astimezone(zone)
    return f"until {formats.date_format(local, 'j F Y, H:i')} ({zone_name})"


def suspension_message(*, suspension: Suspension, zone_name: str) -> str:
    end = suspension_end_text(ends_at=suspension.ends_at, zone_name=zone_name)
    return (
        f"Your account is suspended {end}. Reason: {suspension.reason} "
        "You can still read, top up and see your wallet, but not post, message, book or start readings."
    )


def write_guard(user: Any) -> None:
    """Raise ``UserSuspended`` (403) when ``user`` is suspended; the message gives the reason and the end in the
    user's time zone. Call it before writing anything others would see."""
    suspension = active_suspension(user)
    if suspension is not None:
        raise UserSuspended(suspension_message(suspension=suspension, zone_name=getattr(user, "timezone", "") or "UTC"))
