from collections.abc import Callable
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from .timezones import zone_or_none

# Paths an admin without MFA may still use: the MFA set-up itself, logout and static assets.
_ALLOWED_PREFIXES = ("/accounts/", "/static/", "/healthz")
_ADMIN_PREFIXES = ("/admin/", "/dashboard/admin/", "/staff/")  # every admin-only page lives under these


class AdminMfaRequiredMiddleware:
    """Admins must have TOTP MFA before they can use any admin page (SPEC §12, issue: MFA required for admins)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        path = request.path
        if (
            user is not None
            and user.is_authenticated
            and user.is_staff
            and path.startswith(_ADMIN_PREFIXES)
            and not path.startswith(_ALLOWED_PREFIXES)
            and not _has_totp(user)
        ):
            messages.warning(request, "Admins must turn on two-factor authentication before using admin pages.")
            return redirect("mfa_activate_totp")
        return self.get_response(request)


def _has_totp(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class ViewerTimezoneMiddleware:
    """Every page shows times in the viewer's own zone: a signed-in user's (chosen in the settings, or taken
    from the browser on their first page), UTC for a visitor. Templates need no ``{% timezone %}`` of their own;
    the zone is activated for this request only."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        zone = _viewer_zone(getattr(request, "user", None))
        if zone is None:
            timezone.deactivate()
            return self.get_response(request)
        timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def _viewer_zone(user) -> ZoneInfo | None:
    if user is None or not user.is_authenticated or not user.timezone:
        return None
    return zone_or_none(user.timezone)
