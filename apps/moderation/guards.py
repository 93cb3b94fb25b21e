"""The write guard: a suspended user may read everything, top up and see their wallet, but not write.

Every service that lets a user write something others see (messages, paid replies, reading requests and chat,
bookings, reviews, stream chat, forum posts) calls ``write_guard(user)`` before it writes. Flagging is not
guarded: a suspended user may still report what they read.
"""

import zoneinfo
from datetime import datetime
from typing import Any, cast

from django.db.models import F, Q
from django.utils import formats, timezone

from .exceptions import UserSuspended
from .models import Suspension

_CACHE = "_moderation_active_suspension"
_NONE = object()


def active_suspension(user: Any) -> Suspension | None:
    """The suspension in force for ``user`` now (the one ending last), or None. At most one query per user object:
    the answer is cached on it, so a request that checks several times (the guard, the banner) asks once."""
    if not getattr(user, "is_authenticated", False):
        return None
    cached: Any = getattr(user, _CACHE, None)
    now = timezone.now()
    if cached is None:
        found = (
            Suspension.objects.filter(user_id=user.pk, lifted_at__isnull=True, starts_at__lte=now)
            .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
            .order_by(F("ends_at").desc(nulls_first=True), "-pk")
            .first()
        )
        cached = found if found is not None else _NONE
        setattr(user, _CACHE, cached)
    if cached is _NONE or (cached.ends_at is not None and cached.ends_at <= now):
        return None
    return cast(Suspension, cached)


def moderation_state_load(user: Any) -> None:
    """Load, in one query, what every page asks about a signed-in user: their suspension in force and whether they
    hold a moderator grant, and cache both on the user object (the banner and the account menu use them)."""
    from .roles import MODERATOR_CACHE

    if not getattr(user, "is_authenticated", False):
        return
    need_grant = not user.is_staff and getattr(user, MODERATOR_CACHE, None) is None
    if getattr(user, _CACHE, None) is not None and not need_grant:
        return
    from django.contrib.auth import get_user_model
    from django.db.models import Exists, OuterRef, Subquery

    from .models import ModeratorGrant

    now = timezone.now()
    in_force = (
        Suspension.objects.filter(user_id=OuterRef("pk"), lifted_at__isnull=True, starts_at__lte=now)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .order_by(F("ends_at").desc(nulls_first=True), "-pk")
    )
    row = (
        get_user_model()
        .objects.filter(pk=user.pk)
        .annotate(
            granted=Exists(ModeratorGrant.objects.filter(user_id=OuterRef("pk"), revoked_at__isnull=True)),
            suspension_pk=Subquery(in_force.values("pk")[:1]),
            suspension_reason=Subquery(in_force.values("reason")[:1]),
            suspension_starts_at=Subquery(in_force.values("starts_at")[:1]),
            suspension_ends_at=Subquery(in_force.values("ends_at")[:1]),
        )
        .values("granted", "suspension_pk", "suspension_reason", "suspension_starts_at", "suspension_ends_at")
        .first()
    )
    if row is None:
        return
    if need_grant:
        setattr(user, MODERATOR_CACHE, bool(row["granted"]))
    if getattr(user, _CACHE, None) is None:
        found: Any = _NONE
        if row["suspension_pk"] is not None:
            found = Suspension(
                pk=row["suspension_pk"],
                user_id=user.pk,
                reason=row["suspension_reason"],
                starts_at=row["suspension_starts_at"],
                ends_at=row["suspension_ends_at"],
            )
        setattr(user, _CACHE, found)


def suspension_cache_clear(user: Any) -> None:
    if hasattr(user, _CACHE):
        delattr(user, _CACHE)


def suspension_end_text(*, ends_at: datetime | None, zone_name: str) -> str:
    """When a suspension ends, in the user's time zone ("until 14 December 2026, 09:00 (Europe/London)")."""
    if ends_at is None:
        return "until a moderator lifts it"
    try:
        zone = zoneinfo.ZoneInfo(zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
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
