"""Django admin for the reader taxonomies (audited) and reader suspension (through the audited service)."""

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest

from apps.core.admin import ReadOnlyAdmin
from apps.core.services import audit_log_record

from .cache import reader_directory_changed
from .models import Language, ReaderProfile, Specialty, Tool
from .services import reader_search_vector_refresh


class TaxonomyAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position", "is_retired", "reader_count"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ("name",)}

    @admin.display(description="Readers")
    def reader_count(self, obj: Any) -> int:
        return obj.readers.count()

    def _action(self, verb: str) -> str:
        return f"readers.{self.model._meta.model_name}_{verb}"

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with transaction.atomic():
            before = {f: form.initial.get(f) for f in form.changed_data} if change else {}
            super().save_model(request, obj, form, change)
            audit_log_record(
                actor=request.user,
                action=self._action("changed" if change else "created"),
                target=obj,
                details={"name": obj.name, "slug": obj.slug, "before": before},
                request=request,
            )
            reader_directory_changed()
            if change and isinstance(obj, Specialty) and "name" in form.changed_data:
                # Specialty names are part of each reader's search document.
                reader_search_vector_refresh(reader_ids=list(obj.readers.values_list("pk", flat=True)))

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            reader_ids = list(obj.readers.values_list("pk", flat=True))
            audit_log_record(
                actor=request.user,
                action=self._action("deleted"),
                target=obj,
                details={"name": obj.name},
                request=request,
            )
            super().delete_model(request, obj)
            reader_directory_changed()
            if isinstance(obj, Specialty):
                reader_search_vector_refresh(reader_ids=reader_ids)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


admin.site.register(Specialty, TaxonomyAdmin)
admin.site.register(Tool, TaxonomyAdmin)
admin.site.register(Language, TaxonomyAdmin)


@admin.register(ReaderProfile)
class ReaderProfileAdmin(ReadOnlyAdmin):
    """Read-only here: admins suspend or reinstate readers, with a reason, on the staff reader pages."""

    list_display = ["display_name", "user", "is_published", "is_suspended", "presence", "rating_average", "created_at"]
    list_filter = ["is_published", "is_suspended", "presence"]
    search_fields = ["display_name", "user__email"]
    list_select_related = ["user"]
    exclude = ["search_vector", "photo_small", "photo_large"]
