"""Search every text, character, file and JSON column of every installed model for strings."""

from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Q, TextField
from django.db.models.functions import Cast

TEXT_FIELDS = (models.CharField, models.TextField, models.FileField)


def rows_containing(needles: list[str]) -> list[str]:
    """``"app.Model.field #pk"`` for every row whose column contains one of ``needles`` (case-insensitive)."""
    found: list[str] = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, TEXT_FIELDS):
                lookup: Any = model._base_manager.all()
                column = field.attname
            elif isinstance(field, models.JSONField):
                lookup = model._base_manager.annotate(_scan_text=Cast(field.attname, TextField()))
                column = "_scan_text"
            else:
                continue
            condition = Q()
            for needle in needles:
                condition |= Q(**{f"{column}__icontains": needle})
            for pk in lookup.filter(condition).values_list("pk", flat=True)[:5]:
                found.append(f"{model._meta.label}.{field.name} #{pk}")
    return found
