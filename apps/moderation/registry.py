"""Which kinds of content can be reported, and how the moderation queue handles each.

Each app that has user-written content registers its model once (in its AppConfig.ready). The queue and the
report form know nothing about messages, forum posts or reviews beyond what is registered here.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models


@dataclass(frozen=True)
class ContentSummary:
    """What a moderator sees of one reported object."""

    author: Any
    text: str
    is_hidden: bool
    context: str = ""


@dataclass(frozen=True)
class ModeratableType:
    key: str
    label: str
    model: type[models.Model]
    # The object ``user`` may report (they can see it and it is not their own); raise model.DoesNotExist otherwise.
    reportable_get: Callable[..., models.Model]
    # Hide the object from everyone but moderators. Inner helper: the caller holds the transaction.
    hide: Callable[..., None]
    summary: Callable[[models.Model], ContentSummary]


_REGISTRY: dict[str, ModeratableType] = {}


def moderatable_register(moderatable: ModeratableType) -> None:
    _REGISTRY[moderatable.key] = moderatable


def moderatable_get(key: str) -> ModeratableType | None:
    return _REGISTRY.get(key)


def moderatable_for_model(model: type[models.Model]) -> ModeratableType | None:
    for moderatable in _REGISTRY.values():
        if moderatable.model is model or issubclass(model, moderatable.model):
            return moderatable
    return None
