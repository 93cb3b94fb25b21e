"""Fixed-window rate limits counted in the shared cache (Redis in every deployed environment).

A refused attempt raises ``RateLimitedError`` before the caller writes anything.
"""

from django.core.cache import cache
from django.utils import timezone

from apps.core.exceptions import RateLimitedError


def rate_limit_consume(*, scope: str, subject_id: int, limit: int, window_seconds: int, message: str) -> None:
    """Count one attempt of ``subject_id`` in ``scope``; raise ``RateLimitedError`` past ``limit`` per window."""
    window = int(timezone.now().timestamp()) // window_seconds
    key = f"ratelimit:{scope}:{subject_id}:{window}"
    # add() starts the window only if it is not running yet; incr() is atomic in Redis.
    cache.add(key, 0, timeout=window_seconds * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add() and incr()
        cache.set(key, 1, timeout=window_seconds * 2)
        count = 1
    if count > limit:
        raise RateLimitedError(message)
