"""Short-lived shared cache of the directory's rendered fragments (filters and results).

The directory is the busiest public page and the same few filter combinations are asked for again and
again, so its fragments (nothing per-user in them) are kept for ``DIRECTORY_CACHE_SECONDS`` under keys that
include a version number. Every write that changes what the directory shows calls
``reader_directory_changed()``, which moves the version on once the transaction commits. A derived change
nobody writes (a reader timing out without heartbeats) shows within the cache lifetime; the live status
badges on the page update on their own in the meantime.

Each process re-reads the version at most once per ``VERSION_RECHECK_SECONDS``, so a page served from the
cache costs one cache round trip.
"""

import hashlib
import time
from collections.abc import Callable

from django.core.cache import cache
from django.db import transaction
from django.utils.safestring import SafeString, mark_safe

from apps.core.integrations import agora_enabled

DIRECTORY_CACHE_SECONDS = 15
VERSION_RECHECK_SECONDS = 1.0
BUILD_LOCK_SECONDS = 2.0
VERSION_KEY = "readers:directory:version"

_version_memo: dict[str, float] = {}


def directory_version() -> int:
    now = time.monotonic()
    if "version" in _version_memo and now - _version_memo["checked_at"] < VERSION_RECHECK_SECONDS:
        return int(_version_memo["version"])
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, _fresh_version(), timeout=None)
        version = cache.get(VERSION_KEY, 0)
    _version_memo.update(version=int(version), checked_at=now)
    return int(version)


def forget_version() -> None:
    """Drop this process's memo of the version, so the next request reads it from the cache."""
    _version_memo.clear()


def reader_directory_changed() -> None:
    """Invalidate the cached directory once the current transaction commits (at once outside one)."""
    transaction.on_commit(_bump)


def _bump() -> None:
    forget_version()
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # the version was evicted: start from one no earlier key can have used
        cache.add(VERSION_KEY, _fresh_version(), timeout=None)


def _fresh_version() -> int:
    return time.time_ns() // 1000


def directory_fragments(
    *, params: list[tuple[str, str]], builders: dict[str, Callable[[], str]]
) -> dict[str, SafeString]:
    """The fragments named in ``builders`` for the request's ``params`` (order-insensitive): one cache
    round trip, and only the missing ones are built (and stored)."""
    version = directory_version()
    keys = {kind: directory_fragment_key(kind=kind, params=params, version=version) for kind in builders}
    found = cache.get_many(list(keys.values()))
    if len(found) < len(keys):
        found.update(_wait_for_other_builder(keys=[k for k in keys.values() if k not in found]))
    fragments, missing = {}, {}
    for kind, key in keys.items():
        html = found.get(key)
        if html is None:
            html = missing[key] = str(builders[kind]())
        fragments[kind] = mark_safe(html)  # noqa: S308  # nosec B308 B703: our own rendered template output
    if missing:
        cache.set_many(missing, timeout=DIRECTORY_CACHE_SECONDS)
        cache.delete(f"{min(missing)}:building")
    return fragments


def directory_fragment_key(*, kind: str, params: list[tuple[str, str]], version: int) -> str:
    canonical = "&".join(f"{k}={v}" for k, v in sorted(params))
    digest = hashlib.sha256(f"{kind}|{agora_enabled()}|{canonical}".encode()).hexdigest()[:32]
    return f"readers:directory:{version}:{digest}"


def _wait_for_other_builder(*, keys: list[str]) -> dict:
    """When another process is already building these fragments, wait briefly for its result rather than run
    the same queries at the same time (a burst of requests right after the cache expired). Returns what
    appeared; an empty dict means "build them yourself"."""
    lock = f"{min(keys)}:building"
    if cache.add(lock, 1, timeout=BUILD_LOCK_SECONDS):
        return {}
    deadline = time.monotonic() + BUILD_LOCK_SECONDS
    while time.monotonic() < deadline:
        time.sleep(0.02)
        found = cache.get_many(keys)
        if len(found) == len(keys):
            return found
    return {}
