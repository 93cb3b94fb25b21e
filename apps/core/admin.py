"""Audit the Django admin pages that third-party apps register; the read-only base for rows services own.

Our own apps audit their admin classes themselves. The ones Django and allauth bring (groups, the site's domain,
email addresses and their verified flag, two-factor authenticators) are decisions too: marking an address
verified unlocks money actions, deleting an authenticator resets someone's two-factor authentication. Each of
them is re-registered here with the same options plus an audit row written in the same transaction.

``ReadOnlyAdmin`` and ``ReadOnlyInline`` are for rows that only change through their services (ledger postings,
audit rows, notifications): admins can find and read them, never add, change or delete them.
"""

from collections.abc import Callable
from typing import Any

from allauth.account.admin import EmailAddressAdmin
from allauth.account.models import EmailAddress
from allauth.mfa.admin import AuthenticatorAdmin
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group
from django.contrib.sites.admin import SiteAdmin
from django.contrib.sites.models import Site
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from .models import AuditLog, FileDownload, FileLink, OutboxMessage
from .services import audit_log_record


def admin_action_name(obj: Any, verb: str) -> str:
    """``<app_label>.<model_name>.<verb>``, e.g. ``account.emailaddress.changed``."""
    return f"{obj._meta.label_lower}.{verb}"


def user_email_column(field: str, description: str) -> Callable[[Any], str | None]:
    """A change list column with the email of the user in ``field`` (fetched with the rows: name ``field`` in
    ``list_select_related``). Display names are not unique; operators find people by email."""

    @admin.display(description=description, ordering=f"{field}__email")
    def column(obj: Any) -> str | None:
        user = getattr(obj, field)
        return None if user is None else user.email

    column.__name__ = f"{field}_email"
    return column


def _model_field_names(model_admin: Any) -> tuple[str, ...]:
    """Every field of the model that the page does not exclude, shown as text: the page builds no form field."""
    excluded = set(model_admin.exclude or ())
    fields = model_admin.fields or [field.name for field in model_admin.opts.concrete_fields]
    return tuple(name for name in fields if name not in excluded)


class _NoWrites:
    """No add, change or delete (the view permission stays): the rows change only through their services."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(_NoWrites, admin.ModelAdmin):
    """Listed and viewable; no add, change or delete page, and no bulk delete action."""

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        declared = tuple(super().get_readonly_fields(request, obj))
        return tuple(name for name in _model_field_names(self) if name not in declared) + declared


class ReadOnlyInline(_NoWrites, admin.TabularInline):
    """The related rows on a read-only change page. ``list_select_related`` names the foreign keys each row shows,
    fetched with the rows (one query per inline, whatever its number of rows)."""

    extra = 0
    can_delete = False
    show_change_link = True
    list_select_related: tuple[str, ...] = ()

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related(*self.list_select_related)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return _model_field_names(self)


class AuditedAdminMixin:
    """Every add, change and delete made through this admin page writes one AuditLog row."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)  # type: ignore[misc]
            audit_log_record(
                actor=request.user,
                action=admin_action_name(obj, "changed" if change else "added"),
                target=obj,
                details={"fields": list(form.changed_data), "via": "django-admin"},
                request=request,
            )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            self._audit_delete(request, obj)
            super().delete_model(request, obj)  # type: ignore[misc]

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        with transaction.atomic():
            for obj in queryset:
                self._audit_delete(request, obj)
            super().delete_queryset(request, queryset)  # type: ignore[misc]

    @staticmethod
    def _audit_delete(request: HttpRequest, obj: Any) -> None:
        audit_log_record(
            actor=request.user,
            action=admin_action_name(obj, "deleted"),
            target=obj,
            details={"object": str(obj), "via": "django-admin"},
            request=request,
        )


class AuditedEmailAddressAdmin(AuditedAdminMixin, EmailAddressAdmin):
    def make_verified(self, request: HttpRequest, queryset: Any) -> None:
        with transaction.atomic():
            unverified = list(queryset.filter(verified=False).values_list("pk", flat=True))
            super().make_verified(request, queryset)
            for address in EmailAddress.objects.filter(pk__in=unverified, verified=True).order_by("pk"):
                audit_log_record(
                    actor=request.user,
                    action=admin_action_name(address, "verified"),
                    target=address,
                    details={"email": address.email, "user_id": address.user_id, "via": "django-admin"},
                    request=request,
                )

    make_verified.short_description = EmailAddressAdmin.make_verified.short_description  # type: ignore[attr-defined]


class AuditedAuthenticatorAdmin(AuditedAdminMixin, AuthenticatorAdmin):
    pass


class AuditedGroupAdmin(AuditedAdminMixin, GroupAdmin):
    pass


class AuditedSiteAdmin(AuditedAdminMixin, SiteAdmin):
    pass


for model, model_admin in (
    (EmailAddress, AuditedEmailAddressAdmin),
    (Authenticator, AuditedAuthenticatorAdmin),
    (Group, AuditedGroupAdmin),
    (Site, AuditedSiteAdmin),
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)


class FileDownloadInline(ReadOnlyInline):
    model = FileDownload
    fields = ("at", "user", "outcome", "ip_address")
    list_select_related = ("user",)


@admin.register(FileLink)
class FileLinkAdmin(ReadOnlyAdmin):
    """Read-only: a link is issued by ``file_link_issue`` and is itself the record of that issue. The token's hash is
    not shown (it opens nothing, but it is no operator's business either)."""

    list_display = (
        "id",
        "created_at",
        user_email_column("user", "User"),
        "purpose",
        "filename",
        "storage",
        "expires_at",
        "is_expired",
    )
    list_filter = ("purpose", "storage")
    search_fields = ("user__email", "filename", "storage_key", "purpose")
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    exclude = ("token_hash",)
    inlines = [FileDownloadInline]

    @admin.display(boolean=True, description="Expired")
    def is_expired(self, obj: FileLink) -> bool:
        return obj.expires_at <= timezone.now()


@admin.register(FileDownload)
class FileDownloadAdmin(ReadOnlyAdmin):
    """Read-only: each attempt to open a file link is recorded by ``file_link_open``, whatever its outcome."""

    list_display = ("id", "at", user_email_column("user", "User"), "outcome", "link", "ip_address")
    list_filter = ("outcome",)
    search_fields = ("user__email", "ip_address", "link__filename")
    date_hierarchy = "at"
    list_select_related = ("user", "link")


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdmin):
    """Read-only: the audit trail is written by ``audit_log_record`` in the transaction of what it records, and a
    trail that could be edited would prove nothing."""

    list_display = (
        "created_at",
        "action",
        user_email_column("actor", "Actor"),
        "target_type",
        "target_id",
        "ip_address",
    )
    list_filter = ("target_type",)
    search_fields = ("action", "actor__email", "target_type", "target_id", "ip_address")
    date_hierarchy = "created_at"
    list_select_related = ("actor",)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    """Read-only: side effects queued on commit by the services and run by the outbox worker, which retries and
    records each attempt."""

    list_display = ("id", "name", "status", "attempts", "next_attempt_at", "created_at", "done_at")
    list_filter = ("status", "name")
    search_fields = ("name", "dedupe_key", "last_error")
    date_hierarchy = "created_at"
