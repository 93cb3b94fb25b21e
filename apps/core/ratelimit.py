"""Sliding-window rate limits kept in the shared cache (Redis in every deployed environment).

"10 messages a minute" holds for every 60-second span, not per clock minute: a fixed window would let a user
send 10 at 12:00:59 and 10 more at 12:01:00. Each accepted attempt takes one of ``limit`` slots with
``cache.add`` (atomic: SET NX in Redis), and a slot frees itself ``window_seconds`` after it was taken. When
every slot is taken, the attempt is refused. Slots are tried in order, so this costs at most ``limit`` cache
round trips, and fewer while the user is far from the limit.

A refused attempt raises ``RateLimitedError`` before the caller writes anything.
"""

from django.core.cache import cache

from apps.core.exceptions import RateLimitedError


def rate_limit_consume(*, scope: str, subject_id: int | str, limit: int, window_seconds: int, message: str) -> None:
    """Count one attempt of ``subject_id`` in ``scope``; raise ``RateLimitedError`` past ``limit`` per window."""
    for slot in range(limit):
        if cache.add(f"ratelimit:{scope}:{subject_id}:slot:{slot}", 1, timeout=window_seconds):
            return
    raise RateLimitedError(message)
