"""Notification kinds: every kind is registered once, at import, with the category that picks its email preference.

A kind is ``<category>.<event>``. Registering a kind with an unknown category, a malformed name or two labels
fails at start-up (ImproperlyConfigured), not later inside a money transaction. ``notify()`` never raises for
a kind: an unregistered one is logged and delivered in-app without email.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

# category -> the User field that says whether that user wants email for it.
EMAIL_PREFERENCE_BY_CATEGORY: dict[str, str] = {
    "messages": "notify_email_messages",
    "readings": "notify_email_readings",
    "account": "notify_email_account",
    "scheduling": "notify_email_readings",
    # Orders, shipping and refunds are about the account's purchases.
    "shop": "notify_email_account",
    # Forum replies are emailed per followed thread (each email has its own unsubscribe link), not by this
    # preference; a kind of this category is only ever sent in-app by ``notify``.
    "community": "notify_email_messages",
}

_KIND = re.compile(r"^([a-z]+)\.[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class NotificationKind:
    key: str
    category: str
    label: str

    @property
    def email_preference(self) -> str:
        return EMAIL_PREFERENCE_BY_CATEGORY[self.category]


_KINDS: dict[str, NotificationKind] = {}


def notification_kind_register(key: str, *, label: str) -> str:
    """Register ``key`` (``<category>.<event>``) and return it, so that modules can define constants with it."""
    match = _KIND.match(key)
    if match is None:
        raise ImproperlyConfigured(f"Notification kind {key!r} must look like 'category.event'.")
    category = match.group(1)
    if category not in EMAIL_PREFERENCE_BY_CATEGORY:
        known = ", ".join(sorted(EMAIL_PREFERENCE_BY_CATEGORY))
        raise ImproperlyConfigured(f"Notification kind {key!r} has unknown category {category!r} (known: {known}).")
    existing = _KINDS.get(key)
    if existing is not None and existing.label != label:
        raise ImproperlyConfigured(f"Notification kind {key!r} is registered twice with different labels.")
    _KINDS[key] = NotificationKind(key=key, category=category, label=label)
    return key


def notification_kind_get(key: str) -> NotificationKind | None:
    return _KINDS.get(key)


def notification_kinds() -> list[NotificationKind]:
    return sorted(_KINDS.values(), key=lambda kind: kind.key)
