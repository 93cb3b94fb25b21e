"""What the keyed registries of the apps share (reportable content, personal data, stored images): a key of the
form ``app.kind``, checked at start-up, and one entry per key."""

import re
from typing import TypeVar

from django.core.exceptions import ImproperlyConfigured

APP_KIND_KEY = re.compile(r"^[a-z][a-z0-9]*\.[a-z][a-z0-9_]*$")
Entry = TypeVar("Entry")


def registry_key_check(key: object, *, what: str) -> None:
    """Raise ``ImproperlyConfigured`` unless ``key`` looks like ``app.kind`` (lower case); ``what`` names the
    registry's entries in the message ("Personal data")."""
    if not isinstance(key, str) or APP_KIND_KEY.match(key) is None:
        raise ImproperlyConfigured(f"{what} key {key!r} must look like 'app.kind' (lower case).")


def registry_add(registry: dict[str, Entry], key: str, entry: Entry, *, what: str) -> Entry:
    """Add ``entry`` under ``key``, which no entry may hold yet. Returns the entry."""
    if key in registry:
        raise ImproperlyConfigured(f"{what} {key!r} is registered twice.")
    registry[key] = entry
    return entry
