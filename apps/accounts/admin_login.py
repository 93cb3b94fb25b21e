"""The Django admin's login page, closed: signing in happens on our allauth pages only.

Django's admin ships a password-only login form. Left open it would skip allauth's rate limits and the TOTP step
admins must pass, so it sends visitors to our sign-in page, and answers 404 to signed-in people who are not admins
(admin pages do not reveal that they exist).
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from allauth.account.decorators import secure_admin_login
from django.http import Http404, HttpRequest, HttpResponse


def admin_login_through_allauth(login_view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    secured = secure_admin_login(login_view)

    @wraps(login_view)
    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not (request.user.is_staff and request.user.is_active):
            raise Http404
        return secured(request, *args, **kwargs)

    return view
