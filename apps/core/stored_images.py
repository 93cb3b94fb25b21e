"""Stored images: where each app keeps the images people uploaded, so one job can walk them all.

Uploads are re-encoded without their metadata when they arrive (``apps.core.uploads.upload_check``); images stored
before that still carry theirs. ``apps.privacy.services.images`` rewrites those through this registry and knows
nothing about avatars, photos or forum files beyond what is declared here.

Each app registers one entry per column that names an uploaded image, from its ``privacy.py`` (imported by its
``AppConfig.ready()``):

```python
stored_image_register(
    StoredImageField(
        key="community.attachments",           # "app.kind", unique
        model="community.Attachment",
        field="storage_key",                   # the column holding the file's name in its storage
        storage="default",                     # only for a plain column; a FileField brings its own storage
        images=Q(content_type__startswith="image/"),  # the rows whose file is an image, when not all are
        describe=lambda checked: {"size_bytes": len(checked.content)},  # columns describing the new file
        derived=(),                            # image fields made from this one that cannot carry metadata
    )
)
```

A malformed or unknown entry raises ``ImproperlyConfigured`` at start-up; system check ``core.E012`` fails when an
``ImageField`` of ours is named by no entry (as its ``field`` or among its ``derived``), so a new one is not forgotten.
"""

import dataclasses
from collections.abc import Callable
from typing import Any

from django.core import checks
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.core.files.storage import Storage, storages
from django.db import models
from django.db.models import Q

from apps.core.registries import registry_add, registry_key_check


def _no_changes(checked: Any) -> dict[str, Any]:
    return {}


@dataclasses.dataclass(frozen=True)
class StoredImageField:
    key: str
    model: str
    field: str
    storage: str = ""
    images: Q = dataclasses.field(default_factory=Q)
    describe: Callable[[Any], dict[str, Any]] = _no_changes
    derived: tuple[str, ...] = ()

    @property
    def model_class(self) -> type[models.Model]:
        from django.apps import apps

        return apps.get_model(self.model)

    @property
    def file_storage(self) -> Storage:
        column = self.model_class._meta.get_field(self.field)
        if isinstance(column, models.FileField):
            return column.storage
        return storages[self.storage]


_REGISTRY: dict[str, StoredImageField] = {}


def _check(entry: StoredImageField) -> None:
    from django.apps import apps

    registry_key_check(entry.key, what="Stored image")
    try:
        model = apps.get_model(entry.model)
        column = model._meta.get_field(entry.field)
        for name in entry.derived:
            model._meta.get_field(name)
    except (LookupError, ValueError, FieldDoesNotExist) as error:
        raise ImproperlyConfigured(f"Stored image {entry.key!r}: {error}") from error
    if isinstance(column, models.FileField):
        if entry.storage:
            raise ImproperlyConfigured(f"Stored image {entry.key!r}: a FileField brings its own storage.")
    elif not isinstance(column, models.CharField) or entry.storage not in storages.backends:
        raise ImproperlyConfigured(
            f"Stored image {entry.key!r}: a plain column must be a CharField and name a configured storage."
        )
    if not callable(entry.describe) or not isinstance(entry.images, Q):
        raise ImproperlyConfigured(f"Stored image {entry.key!r}: images must be a Q and describe a callable.")


def stored_image_register(entry: StoredImageField) -> StoredImageField:
    """Register one column of uploaded images (see the module docstring). Call it from ``ready()``. Returns it."""
    _check(entry)
    return registry_add(_REGISTRY, entry.key, entry, what="Stored image")


def stored_image_fields() -> list[StoredImageField]:
    """Every registered entry, in registration order (the order of INSTALLED_APPS)."""
    return list(_REGISTRY.values())


def stored_images_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """``core.E012``: every ImageField of ours is walked by an entry, or declared as made from one."""
    from django.apps import apps

    covered = {
        (entry.model_class._meta.label_lower, name)
        for entry in _REGISTRY.values()
        for name in (entry.field, *entry.derived)
    }
    errors: list[checks.CheckMessage] = []
    for model in apps.get_models():
        if not model.__module__.startswith("apps."):
            continue
        for column in model._meta.get_fields():
            if isinstance(column, models.ImageField) and (model._meta.label_lower, column.name) not in covered:
                errors.append(
                    checks.Error(
                        f"{model._meta.label}.{column.name} stores uploaded images but no stored image entry names it.",
                        hint="Register a StoredImageField in its app's privacy.py (see apps/core/stored_images.py).",
                        obj=model,
                        id="core.E012",
                    )
                )
    return errors
