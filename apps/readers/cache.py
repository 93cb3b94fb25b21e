"""Short-lived cache of the directory's rendered results.

The directory is the busiest public page and the same few filter combinations are asked for again and
again, so its results fragment (no per-user content in it) is kept for ``DIRECTORY_CACHE_SECONDS`` under a
key that includes a version number. Every write that changes what the directory shows calls
``reader_directory_changed()`` once committed, which moves the version on; a derived change nobody writes
(a reader timing out without heartbeats) shows within the cache lifetime, and the live status badges on the
page update on their own in the meantime.
"""

import hashlib
from collections.abc import Callable

from django.core.cache import cache
from django.db import transaction
from django.utils.safestring import SafeString, mark_safe

from apps.core.integrations import agora_enabled

DIRECTORY_CACHE_SECONDS = 15
VERSION_KEY = "readers:directory:version"


def directory_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, 1, timeout=None)
        version = cache.get(VERSION_KEY, 1)
    return int(version)


def reader_directory_changed() -> None:
    """Invalidate the cached directory once the current transaction commits (at once outside one)."""
    transaction.on_commit(_bump)


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # no version yet: nothing cached under the old one either
        cache.add(VERSION_KEY, 1, timeout=None)


def directory_cached(*, kind: str, params: list[tuple[str, str]], build: Callable[[], str]) -> SafeString:
    """The cached fragment for ``kind`` and the request's ``params`` (order-insensitive), built on a miss."""
    canonical = "&".join(f"{k}={v}" for k, v in sorted(params))
    digest = hashlib.sha256(f"{kind}|{agora_enabled()}|{canonical}".encode()).hexdigest()[:32]
    key = f"readers:directory:{directory_version()}:{digest}"
    html = cache.get(key)
    if html is None:
        html = build()
        cache.set(key, str(html), timeout=DIRECTORY_CACHE_SECONDS)
    return mark_safe(html)  # noqa: S308 - our own rendered template output
