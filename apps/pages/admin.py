"""Policies and help articles are edited in the Django admin; every save and delete is audited.

Support tickets are answered on the staff pages (/staff/pages/tickets/), which email the requester,
so they are only listed here, read-only.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from apps.core.admin import ReadOnlyAdmin, ReadOnlyInline

from . import services
from .models import HelpArticle, Policy, SupportReply, SupportTicket


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "version", "updated_at")
    readonly_fields = ("slug", "version", "updated_at")
    fields = ("slug", "title", "body", "version", "updated_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # The three policies exist from the first migration; their pages link to them by slug.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Policy, form: Any, change: bool) -> None:
        services.policy_record_edit(actor=request.user, policy=obj, changed_fields=form.changed_data, request=request)


@admin.register(HelpArticle)
class HelpArticleAdmin(admin.ModelAdmin):
    list_display = ("title", "category", "is_published", "order", "updated_at")
    list_filter = ("is_published", "category")
    search_fields = ("title", "body", "category")
    prepopulated_fields = {"slug": ("title",)}
    fields = ("title", "slug", "category", "body", "is_published", "order")

    def save_model(self, request: HttpRequest, obj: HelpArticle, form: Any, change: bool) -> None:
        services.help_article_record_save(
            actor=request.user, article=obj, changed_fields=form.changed_data, request=request
        )

    def delete_model(self, request: HttpRequest, obj: HelpArticle) -> None:
        services.help_article_record_delete(actor=request.user, article=obj, request=request)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for article in queryset:
            services.help_article_record_delete(actor=request.user, article=article, request=request)


class SupportReplyInline(ReadOnlyInline):
    model = SupportReply
    fields = ("author", "body", "created_at", "emailed_at")
    list_select_related = ("author",)


@admin.register(SupportTicket)
class SupportTicketAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "email", "status", "created_at", "answered_at")
    list_filter = ("status",)
    search_fields = ("subject", "email", "name")
    readonly_fields = (
        "requester",
        "name",
        "email",
        "subject",
        "message",
        "status",
        "created_at",
        "updated_at",
        "answered_at",
        "confirmation_sent_at",
    )
    inlines = [SupportReplyInline]
