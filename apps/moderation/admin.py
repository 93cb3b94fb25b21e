"""Moderation's rows in the Django admin, all read-only.

Every one of them is a decision or its record: reports are decided in the moderation queue, automatic hides are
written when enough members flag something, suspensions are made and lifted on the queue's user page, and the
moderator role and trust levels are set on the staff user page. Each of those goes through a service that tells
the people concerned, clears their cached role or level and writes the audit row; an edit here would do none of it.
"""

from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from apps.core.admin import ReadOnlyAdmin, user_email_column

from .models import AutoHide, ModeratorGrant, Report, Suspension, TrustOverride


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    """Read-only: decisions are taken in the moderation queue, where they are audited."""

    list_display = (
        "id",
        "content_type",
        "object_id",
        "reason",
        "status",
        "action",
        user_email_column("reporter", "Reporter"),
        user_email_column("author", "Author"),
        user_email_column("moderator", "Moderator"),
        "created_at",
        "decided_at",
    )
    list_filter = ("status", "reason", "action", ("content_type", admin.RelatedOnlyFieldListFilter))
    search_fields = ("reporter__email", "author__email", "moderator__email", "details", "decision_note")
    date_hierarchy = "created_at"
    list_select_related = ("content_type", "reporter", "author", "moderator")
    readonly_fields = ("queue_page",)

    @admin.display(description="Moderation queue")
    def queue_page(self, obj: Report) -> Any:
        return format_html('<a href="{}">Open in the queue</a>', reverse("moderation:report_detail", args=[obj.pk]))


@admin.register(AutoHide)
class AutoHideAdmin(ReadOnlyAdmin):
    """Read-only: written when enough members flag an item, cleared by the moderator's decision on its reports."""

    list_display = (
        "id",
        "content_type",
        "object_id",
        "flag_count",
        "hidden_at",
        "cleared_at",
        user_email_column("cleared_by", "Cleared by"),
        "outcome",
    )
    list_filter = (
        "outcome",
        ("cleared_at", admin.EmptyFieldListFilter),
        ("content_type", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("object_id__exact", "cleared_by__email")
    date_hierarchy = "hidden_at"
    list_select_related = ("content_type", "cleared_by")


def _user_moderation_link(url_name: str, user_id: int, text: str) -> Any:
    return format_html('<a href="{}">{}</a>', reverse(url_name, kwargs={"user_id": user_id}), text)


class SuspensionInForceFilter(admin.SimpleListFilter):
    """In force: started, not lifted, not ended (as ``write_guard`` sees it); over: lifted or ended."""

    title = "in force"
    parameter_name = "in_force"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "In force"), ("no", "Lifted or over")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Suspension]) -> QuerySet[Suspension]:
        now = timezone.now()
        in_force = Q(lifted_at__isnull=True, starts_at__lte=now) & (Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        if self.value() == "yes":
            return queryset.filter(in_force)
        if self.value() == "no":
            return queryset.exclude(in_force)
        return queryset


@admin.register(Suspension)
class SuspensionAdmin(ReadOnlyAdmin):
    """Read-only: a suspension tells the user, blocks their writing and is audited; moderators make and lift them on
    the queue's user page."""

    list_display = (
        "id",
        user_email_column("user", "User"),
        "starts_at",
        "ends_at",
        "lifted_at",
        user_email_column("created_by", "Suspended by"),
        user_email_column("lifted_by", "Lifted by"),
        "report",
    )
    list_filter = (SuspensionInForceFilter, ("ends_at", admin.EmptyFieldListFilter))
    search_fields = ("user__email", "created_by__email", "reason")
    date_hierarchy = "starts_at"
    list_select_related = ("user", "created_by", "lifted_by", "report")
    readonly_fields = ("queue_page",)

    @admin.display(description="Moderation queue")
    def queue_page(self, obj: Suspension) -> Any:
        return _user_moderation_link("moderation:user", obj.user_id, "Suspend or lift on the queue's user page")


@admin.register(ModeratorGrant)
class ModeratorGrantAdmin(ReadOnlyAdmin):
    """Read-only: granting and revoking the role tells the user and is audited (on the staff user page)."""

    list_display = (
        "id",
        user_email_column("user", "User"),
        "granted_at",
        user_email_column("granted_by", "Granted by"),
        "revoked_at",
        user_email_column("revoked_by", "Revoked by"),
    )
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("user__email", "granted_by__email", "revoked_by__email")
    date_hierarchy = "granted_at"
    list_select_related = ("user", "granted_by", "revoked_by")
    readonly_fields = ("staff_page",)

    @admin.display(description="Staff page")
    def staff_page(self, obj: ModeratorGrant) -> Any:
        return _user_moderation_link("staff_moderation:user", obj.user_id, "Grant or revoke on the staff user page")


@admin.register(TrustOverride)
class TrustOverrideAdmin(ReadOnlyAdmin):
    """Read-only: setting a trust level by hand is audited and clears the cached level (on the staff user page)."""

    list_display = ("id", user_email_column("user", "User"), "level", user_email_column("set_by", "Set by"), "set_at")
    list_filter = ("level",)
    search_fields = ("user__email", "set_by__email")
    date_hierarchy = "set_at"
    list_select_related = ("user", "set_by")
    readonly_fields = ("staff_page",)

    @admin.display(description="Staff page")
    def staff_page(self, obj: TrustOverride) -> Any:
        return _user_moderation_link("staff_moderation:user", obj.user_id, "Change on the staff user page")
