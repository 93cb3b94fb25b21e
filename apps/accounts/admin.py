"""Accounts in the Django admin, read-only.

People are managed on the staff user pages (role, suspension, trust level, moderator grant), each through an
audited service; reader applications are approved or rejected on the staff application pages, which tell the
applicant and make the reader's profile. Passwords' hashes and application photos are not shown here.
"""

from typing import Any

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from apps.core.admin import ReadOnlyAdmin, user_email_column

from .models import ReaderApplication, User


@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    """Read-only: accounts change through their owner's settings and the audited staff user pages."""

    list_display = (
        "email",
        "display_name",
        "role",
        "is_active",
        "is_staff",
        "is_superuser",
        "date_joined",
        "last_login",
    )
    list_filter = ("role", "is_active", "is_staff", "is_superuser")
    search_fields = ("email", "display_name")
    date_hierarchy = "date_joined"
    exclude = ("password",)
    readonly_fields = ("staff_page",)

    @admin.display(description="Staff page")
    def staff_page(self, obj: User) -> Any:
        return format_html(
            '<a href="{}">Manage on the staff page</a>', reverse("staff_accounts:user_detail", args=[obj.pk])
        )


@admin.register(ReaderApplication)
class ReaderApplicationAdmin(ReadOnlyAdmin):
    """Read-only: decided on the staff application page, which shows the photo and tells the applicant."""

    list_display = (
        "__str__",
        user_email_column("applicant", "Applicant"),
        "status",
        "years_experience",
        user_email_column("reviewed_by", "Reviewed by"),
        "created_at",
        "reviewed_at",
    )
    list_filter = ("status",)
    search_fields = ("applicant__email", "specialties", "tools")
    date_hierarchy = "created_at"
    list_select_related = ("applicant", "reviewed_by")
    exclude = ("photo",)
    readonly_fields = ("staff_page",)

    @admin.display(description="Staff page")
    def staff_page(self, obj: ReaderApplication) -> Any:
        return format_html(
            '<a href="{}">Decide on the staff page</a>',
            reverse("staff_accounts:application_detail", args=[obj.pk]),
        )
