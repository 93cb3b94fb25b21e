"""Which kinds of content can be reported, and how the moderation queue handles each.

Each app that has user-written content registers its model once (in its AppConfig.ready) with one hideable-content
interface: ``reportable_get`` (what a user may report), ``hide``, ``unhide``, ``summary`` and, optionally,
``delete``. The queue, the report
form and the moderators' content page know nothing about messages, reviews or reading chat lines beyond what is
registered here. A registration with a malformed key, a key or model registered twice, or a missing or
wrongly-shaped callable raises ``ImproperlyConfigured`` when the app starts, never later inside a request.
"""

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models

from apps.core.registries import registry_key_check


@dataclass(frozen=True)
class ContentSummary:
    """What a moderator sees of one reported object."""

    author: Any
    text: str
    is_hidden: bool
    context: str = ""
    is_deleted: bool = False


@dataclass(frozen=True)
class ModeratableType:
    """One kind of reportable content.

    - ``reportable_get(*, user, object_id)``: the object ``user`` may report (they can see it, it is not their own
      and it is still shown); raise ``model.DoesNotExist`` otherwise, so that reporting answers 404.
    - ``hide(*, obj, actor, reason)``: hide the object from everyone but moderators; ``reason`` is the short text the
      parties may be shown. Returns whether it changed anything (False: it was already hidden). Inner helper: the
      caller holds the transaction and audits the decision.
    - ``unhide(*, obj, actor)``: show it again; False if it was not hidden. Inner helper, like ``hide``.
    - ``summary(obj)``: what a moderator sees of it (author, text, whether it is hidden, context).
    - ``delete(*, obj, actor, reason)`` (optional): a soft delete, kept for the audit (a ``deleted`` state the
      type's ``unhide`` may still reverse). Types without one are hidden when a moderator chooses "delete".
    """

    key: str
    label: str
    model: type[models.Model]
    reportable_get: Callable[..., models.Model]
    hide: Callable[..., bool]
    unhide: Callable[..., bool]
    summary: Callable[[models.Model], ContentSummary]
    delete: Callable[..., bool] | None = None


# The keyword arguments the moderation app calls each callable with.
_CALLS: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {
    "reportable_get": ((), {"user": None, "object_id": 0}),
    "hide": ((), {"obj": None, "actor": None, "reason": ""}),
    "unhide": ((), {"obj": None, "actor": None}),
    "summary": ((None,), {}),
}
_OPTIONAL_CALLS: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {
    "delete": ((), {"obj": None, "actor": None, "reason": ""}),
}

_REGISTRY: dict[str, ModeratableType] = {}


def _check(moderatable: ModeratableType) -> None:
    key = moderatable.key
    registry_key_check(key, what="Moderatable content")
    if not moderatable.label:
        raise ImproperlyConfigured(f"Moderatable content {key!r} needs a label.")
    if not (isinstance(moderatable.model, type) and issubclass(moderatable.model, models.Model)):
        raise ImproperlyConfigured(f"Moderatable content {key!r}: model must be a Django model class.")
    calls = dict(_CALLS)
    calls.update({name: call for name, call in _OPTIONAL_CALLS.items() if getattr(moderatable, name) is not None})
    for name, (args, kwargs) in calls.items():
        function = getattr(moderatable, name, None)
        if not callable(function):
            raise ImproperlyConfigured(f"Moderatable content {key!r}: {name} must be a callable.")
        try:
            inspect.signature(function).bind(*args, **kwargs)
        except TypeError as error:
            accepted = ", ".join([*("obj" for _ in args), *kwargs])
            raise ImproperlyConfigured(
                f"Moderatable content {key!r}: {name} must accept ({accepted}) ({error})."
            ) from error
    for other in _REGISTRY.values():
        if other.key == key and other != moderatable:
            raise ImproperlyConfigured(f"Moderatable content key {key!r} is registered twice.")
        if other.key != key and other.model is moderatable.model:
            raise ImproperlyConfigured(
                f"Model {moderatable.model.__name__} is registered as both {other.key!r} and {key!r}."
            )


def moderatable_register(moderatable: ModeratableType) -> ModeratableType:
    """Register one kind of reportable content (in the owning app's ``AppConfig.ready``). Registering the same
    entry again is harmless; anything malformed raises ``ImproperlyConfigured``."""
    _check(moderatable)
    _REGISTRY[moderatable.key] = moderatable
    return moderatable


def moderatable_get(key: str) -> ModeratableType | None:
    return _REGISTRY.get(key)


def moderatable_for_model(model: type[models.Model]) -> ModeratableType | None:
    for moderatable in _REGISTRY.values():
        if moderatable.model is model or issubclass(model, moderatable.model):
            return moderatable
    return None


def moderatables() -> list[ModeratableType]:
    return sorted(_REGISTRY.values(), key=lambda moderatable: moderatable.key)
