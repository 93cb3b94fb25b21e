"""Context for the dashboard sections rendered on the server. Each function reads through selectors only."""

from typing import Any

from django.http import HttpRequest

from apps.accounts.selectors import (
    reader_application_latest_for_applicant,
    reader_application_pending_count,
    user_has_totp,
)
from apps.core.permissions import has_verified_email


def reader_application(request: HttpRequest) -> dict[str, Any]:
    return {
        "latest": reader_application_latest_for_applicant(viewer=request.user),
        "is_verified": has_verified_email(request.user),
    }


def security(request: HttpRequest) -> dict[str, Any]:
    return {"has_totp": user_has_totp(user=request.user)}


def admin_applications(request: HttpRequest) -> dict[str, Any]:
    return {"pending_count": reader_application_pending_count(viewer=request.user)}


def reader_onboarding(request: HttpRequest) -> dict[str, Any]:
    from .onboarding import onboarding_checklist

    steps = onboarding_checklist(user=request.user, role="reader")
    return {"steps": steps, "remaining": sum(1 for step in steps if not step.is_done)}
