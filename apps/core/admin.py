"""Audit the Django admin pages that third-party apps register.

Our own apps audit their admin classes themselves. The ones Django and allauth bring (groups, the site's domain,
email addresses and their verified flag, two-factor authenticators) are decisions too: marking an address
verified unlocks money actions, deleting an authenticator resets someone's two-factor authentication. Each of
them is re-registered here with the same options plus an audit row written in the same transaction.
"""

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
from django.http import HttpRequest

from .services import audit_log_record


def admin_action_name(obj: Any, verb: str) -> str:
    """``<app_label>.<model_name>.<verb>``, e.g. ``account.emailaddress.changed``."""
    return f"{obj._meta.label_lower}.{verb}"


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
