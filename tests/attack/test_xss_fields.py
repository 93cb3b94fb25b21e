"""Every text column of our models is in the XSS test's list (``xss_fields.py``): covered or excused."""

from django.apps import apps
from django.db import models

from .xss_fields import COVERED, EXCUSED


def _text_fields() -> set[str]:
    found = set()
    for model in apps.get_models():
        if not model.__module__.startswith("apps."):
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, models.CharField | models.TextField) and not field.choices:
                found.add(f"{model._meta.label}.{field.name}")
    return found


def _excused(key: str) -> bool:
    app_label, model, _ = key.split(".")
    return key in EXCUSED or f"{app_label}.{model}" in EXCUSED or app_label in EXCUSED


def test_every_text_field_is_covered_by_the_xss_test_or_excused():
    missing = sorted(key for key in _text_fields() if key not in COVERED and not _excused(key))
    assert missing == [], (
        "Text fields neither written by the XSS browser test nor excused in tests/attack/xss_fields.py: "
        + ", ".join(missing)
    )


def test_the_xss_lists_name_only_existing_fields():
    fields = _text_fields()
    models_ = {key.rsplit(".", 1)[0] for key in fields}
    apps_ = {key.split(".")[0] for key in fields}
    assert sorted(set(COVERED) - fields) == []
    assert sorted(key for key in EXCUSED if key not in fields | models_ | apps_) == []
    assert sorted(set(COVERED) & set(EXCUSED)) == []
