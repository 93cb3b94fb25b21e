"""Personal data: what each app holds about a user, how it is exported, and how it is erased.

Each app that stores personal data registers one ``PersonalData`` entry per kind (in its ``AppConfig.ready()``,
from ``apps/<app>/privacy.py``). The data export (``apps.privacy``) calls every entry's ``export`` and ``files``;
account deletion asks every entry's ``blockers`` and then calls every ``erase`` inside one transaction. The
privacy app knows nothing about messages, readings or orders beyond what is registered here.

- ``export(user)``: the user's data of this kind, JSON-serialisable (a dict or a list; dates as ISO strings,
  money as strings). Only the user's own data and what the other party of a shared thing showed them.
- ``files(user)``: the user's uploads as ``(storage_alias, key, arcname)``: added to the export ZIP under
  ``files/<arcname>``, and deleted from their storage once the account's anonymisation has committed.
- ``erase(user)``: remove or anonymise the personal data. Inner helper: the caller holds the transaction and has
  locked the user row. ``user`` is the account as it was before anything was erased (its email and names are
  still in memory): write with queryset updates and never ``user.save()``, so every entry sees the same values
  whatever order they run in. Ledger rows are never touched.
- ``blockers(user)``: human reasons deletion must wait ("A reading is still in progress."), empty when none.
- ``models``: the models (``"app_label.ModelName"``) this entry covers. System check ``core.E010`` fails when a
  model of ours with a foreign key to the user model is covered by no entry, so a new app cannot forget one.

A malformed key, a key registered twice, or a missing or wrongly-shaped callable raises ``ImproperlyConfigured``
when the app starts.
"""

import inspect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from apps.core.registries import registry_add, registry_key_check

FileRef = tuple[str, str, str]


def _no_files(user: Any) -> Iterable[FileRef]:
    return ()


def _no_blockers(user: Any) -> list[str]:
    return []


@dataclass(frozen=True)
class PersonalData:
    key: str
    export: Callable[[Any], dict[str, Any] | list[Any]]
    erase: Callable[[Any], None]
    files: Callable[[Any], Iterable[FileRef]] = _no_files
    blockers: Callable[[Any], list[str]] = _no_blockers
    models: tuple[str, ...] = field(default=())


_MODEL = re.compile(r"^[a-z][a-z0-9_]*\.[A-Za-z][A-Za-z0-9]*$")
_REGISTRY: dict[str, PersonalData] = {}


def _check(entry: PersonalData) -> None:
    key = entry.key
    registry_key_check(key, what="Personal data")
    for name in ("export", "erase", "files", "blockers"):
        function = getattr(entry, name)
        if not callable(function):
            raise ImproperlyConfigured(f"Personal data {key!r}: {name} must be a callable.")
        try:
            inspect.signature(function).bind(None)
        except TypeError as error:
            raise ImproperlyConfigured(
                f"Personal data {key!r}: {name} must accept one argument, the user ({error})."
            ) from error
    if not isinstance(entry.models, tuple) or any(
        not isinstance(model, str) or _MODEL.match(model) is None for model in entry.models
    ):
        raise ImproperlyConfigured(f"Personal data {key!r}: models must be a tuple of 'app_label.ModelName'.")


def personal_data_register(entry: PersonalData) -> PersonalData:
    """Register one kind of personal data (see the module docstring). Returns it."""
    _check(entry)
    return registry_add(_REGISTRY, entry.key, entry, what="Personal data")


def personal_data_entries() -> list[PersonalData]:
    """Every registered entry, in registration order (the order of INSTALLED_APPS)."""
    return list(_REGISTRY.values())


def personal_data_export(user: Any) -> dict[str, Any]:
    return {entry.key: entry.export(user) for entry in _REGISTRY.values()}


def personal_data_files(user: Any) -> list[FileRef]:
    return [ref for entry in _REGISTRY.values() for ref in entry.files(user)]


def personal_data_blockers(user: Any) -> list[str]:
    return [reason for entry in _REGISTRY.values() for reason in entry.blockers(user)]


def personal_data_erase(user: Any) -> None:
    """Inner helper: the caller holds the deletion transaction and the user's row lock."""
    for entry in _REGISTRY.values():
        entry.erase(user)


def personal_data_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """``core.E010``: every model of ours that points at a user is covered by a personal data entry."""
    from django.apps import apps
    from django.conf import settings

    covered = {model.lower() for entry in _REGISTRY.values() for model in entry.models}
    errors: list[checks.CheckMessage] = []
    for entry in _REGISTRY.values():
        for label in entry.models:
            try:
                apps.get_model(label)
            except (LookupError, ValueError):
                errors.append(
                    checks.Error(f"Personal data {entry.key!r} names {label!r}, which is not a model.", id="core.E011")
                )
    user_label = settings.AUTH_USER_MODEL.lower()
    for model in apps.get_models():
        if not model.__module__.startswith("apps."):
            continue
        label = model._meta.label_lower
        points_at_user = label == user_label or any(
            getattr(f, "related_model", None) is not None
            and f.related_model._meta.label_lower == user_label
            and f.concrete
            for f in model._meta.get_fields()
        )
        if points_at_user and label not in covered:
            errors.append(
                checks.Error(
                    f"{model._meta.label} holds data about users but no personal data entry covers it.",
                    hint="Register a PersonalData entry naming it in its app's privacy.py (see apps/core/privacy.py).",
                    obj=model,
                    id="core.E010",
                )
            )
    return errors
