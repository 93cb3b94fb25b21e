"""Privacy requests in the Django admin, read-only.

Exports are built and expired, and account deletions are confirmed, cancelled and carried out, only through the
privacy services, which tell the person and write the audit rows.
"""

from django.contrib import admin

from apps.core.admin import ReadOnlyAdmin, user_email_column

from .models import DataExport, DeletionRequest


@admin.register(DataExport)
class DataExportAdmin(ReadOnlyAdmin):
    """Read-only: requested by the person, built by the export task, removed when it expires."""

    list_display = (
        "__str__",
        user_email_column("user", "User"),
        "status",
        "size_bytes",
        "requested_at",
        "ready_at",
        "expires_at",
    )
    list_filter = ("status",)
    search_fields = ("user__email", "error")
    date_hierarchy = "requested_at"
    list_select_related = ("user",)


@admin.register(DeletionRequest)
class DeletionRequestAdmin(ReadOnlyAdmin):
    """Read-only: confirmed or cancelled by the person; carried out by the deletion task once nothing blocks it."""

    list_display = (
        "__str__",
        user_email_column("user", "User"),
        "status",
        "requested_at",
        "confirmed_at",
        "scheduled_for",
        "cancelled_at",
        "completed_at",
    )
    list_filter = ("status",)
    search_fields = ("user__email",)
    date_hierarchy = "requested_at"
    list_select_related = ("user",)
