from django.contrib import admin

from .models import Report


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """Read-only: decisions are taken in the moderation queue, where they are audited."""

    list_display = ("id", "content_type", "object_id", "reason", "status", "created_at")
    list_filter = ("status", "reason")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
