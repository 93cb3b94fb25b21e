"""Who may read, post in and moderate the forums. Selectors and services both ask here, so the rules live once."""

from typing import Any

from django.db.models import Q

from .enums import CategoryVisibility
from .models import Category


def is_signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def forum_moderator(user: Any) -> bool:
    """Whether ``user`` may pin, lock and see hidden posts: the moderators of the moderation app."""
    from apps.moderation.roles import is_moderator

    return is_moderator(user)


def readable_categories_q(viewer: Any, prefix: str = "") -> Q:
    """The categories ``viewer`` may read, as a filter (``prefix`` like ``"thread__category__"``)."""
    if is_signed_in(viewer):
        return Q()
    return Q(**{f"{prefix}visibility": CategoryVisibility.PUBLIC})


def category_readable(*, viewer: Any, category: Category) -> bool:
    return category.is_public or is_signed_in(viewer)


def category_postable(*, viewer: Any, category: Category) -> bool:
    """Whether ``viewer`` may start threads and reply in ``category`` (readers-only forums: readers and admins)."""
    if not is_signed_in(viewer):
        return False
    if category.is_readers_only:
        return bool(viewer.is_reader or viewer.is_staff)
    return True
