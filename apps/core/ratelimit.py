"""Sliding-window rate limits kept in the shared cache (Redis in every deployed environment).

"10 messages a minute" holds for every 60-second span, not per clock minute: a fixed window would let a user
send 10 at 12:00:59 and 10 more at 12:01:00. Each accepted attempt takes one of ``limit`` slots with
``cache.add`` (atomic: SET NX in Redis), and a slot frees itself ``window_seconds`` after it was taken. When
every slot is taken, the attempt is refused. Slots are tried in order, so this costs at most ``limit`` cache
round trips, and fewer while the user is far from the limit.

A refused attempt raises ``RateLimitedError`` before the caller writes anything.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar, cast

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

from apps.core.exceptions import RateLimitedError


def rate_limit_consume(*, scope: str, subject_id: int | str, limit: int, window_seconds: int, message: str) -> None:
    """Count one attempt of ``subject_id`` in ``scope``; raise ``RateLimitedError`` past ``limit`` per window."""
    for slot in range(limit):
        if cache.add(f"ratelimit:{scope}:{subject_id}:slot:{slot}", 1, timeout=window_seconds):
            return
    raise RateLimitedError(message)


# --- Views that create something ------------------------------------------------------------------------------
# Every view where a person creates something declares its limit with ``@rate_limited(scope, what=...)``; the
# limit itself is ``settings.RATE_LIMITS[scope]`` ("10/h": 10 in any hour), so an operator can change it without
# a deploy and tests can lower it. ``tests/security/test_rate_limits.py`` walks the URL resolver and fails for a
# view that takes POST without a declared limit (or a stated reason it creates nothing).

RATE_LIMIT_ATTRIBUTE = "rate_limit_scope"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True)
class RateLimit:
    limit: int
    window_seconds: int

    @property
    def period(self) -> str:
        """The window in words: "a minute", "an hour", "a day", or "every 10 minutes"."""
        named = {60: "a minute", 3600: "an hour", 86400: "a day"}
        if self.window_seconds in named:
            return named[self.window_seconds]
        if self.window_seconds % 3600 == 0:
            return f"every {self.window_seconds // 3600} hours"
        if self.window_seconds % 60 == 0:
            return f"every {self.window_seconds // 60} minutes"
        return f"every {self.window_seconds} seconds"


def rate_limit_parse(value: str) -> RateLimit:
    """``"10/h"`` → 10 per hour; ``"5/10m"`` → 5 in any 10 minutes. Units: s, m, h, d."""
    try:
        count, window = value.split("/")
        unit = window[-1]
        multiple = int(window[:-1] or 1)
        limit = RateLimit(limit=int(count), window_seconds=multiple * _UNITS[unit])
    except (ValueError, KeyError, IndexError):
        raise ImproperlyConfigured(f"A rate limit reads like '10/h' or '5/10m', not {value!r}.") from None
    if limit.limit < 1 or limit.window_seconds < 1:
        raise ImproperlyConfigured(f"A rate limit allows at least one attempt in a positive window, not {value!r}.")
    return limit


def rate_limit_for(scope: str) -> RateLimit:
    """The limit ``settings.RATE_LIMITS`` sets for ``scope``."""
    value = settings.RATE_LIMITS.get(scope)
    if value is None:
        raise ImproperlyConfigured(f"settings.RATE_LIMITS has no limit for {scope!r}.")
    return rate_limit_parse(value)


def rate_limit_scope_consume(*, scope: str, subject_id: int | str, message: Callable[[RateLimit], str]) -> None:
    """Count one attempt of ``subject_id`` against ``settings.RATE_LIMITS[scope]``; past it, raise
    ``RateLimitedError`` with ``message(limit)`` (which can say the limit and its period)."""
    limit = rate_limit_for(scope)
    rate_limit_consume(
        scope=scope,
        subject_id=subject_id,
        limit=limit.limit,
        window_seconds=limit.window_seconds,
        message=message(limit),
    )


def rate_limited(scope: str, *, what: str) -> Callable[[View], View]:
    """Refuse (429, through the domain error path: page, HTMX partial or JSON) a POST past the scope's limit.

    Counts every POST (PUT, PATCH, DELETE) of the signed-in person, or of the client address for visitors, before
    the view runs, so a refused attempt writes nothing. ``what`` names the things created, in the plural, for the
    message ("reviews" → "You have reached the limit of 10 reviews an hour."). Put it under ``login_required`` (visitors
    sent to sign in use no slot) and above ``domain_errors_redirect`` (so a refusal answers 429, not a redirect).
    """
    rate_limit_for(scope)  # an unknown scope is refused at import

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if request.method not in _SAFE_METHODS:
                _consume_for_request(request, scope=scope, what=what)
            return view(request, *args, **kwargs)

        setattr(wrapper, RATE_LIMIT_ATTRIBUTE, scope)
        return cast(View, wrapper)

    return decorate


def _consume_for_request(request: HttpRequest, *, scope: str, what: str) -> None:
    from apps.core.services import client_ip

    user = getattr(request, "user", None)
    subject = user.pk if user is not None and user.is_authenticated else f"ip:{client_ip(request) or 'unknown'}"
    rate_limit_scope_consume(
        scope=scope,
        subject_id=subject,
        message=lambda limit: (
            f"You have reached the limit of {limit.limit} {what} {limit.period}. Nothing was saved; "
            "please wait a while and try again."
        ),
    )


def view_rate_limit_scope(view: Any) -> str | None:
    """The scope a view declared with ``rate_limited``, or None."""
    scope = getattr(view, RATE_LIMIT_ATTRIBUTE, None)
    if scope is None:
        scope = getattr(getattr(view, "view_class", None), RATE_LIMIT_ATTRIBUTE, None)
    return scope
