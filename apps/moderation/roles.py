"""Who is a moderator: every admin, and every user an admin granted the moderator role (audited)."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

View = Callable[..., HttpResponse]
MODERATOR_CACHE = "_moderation_is_moderator"


def is_moderator(user: Any) -> bool:
    """Admin, or holds an active moderator grant. One query per user object at most (cached on it)."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    if user.is_staff:
        return True
    if getattr(user, MODERATOR_CACHE, None) is None:
        from .guards import moderation_state_load

        moderation_state_load(user)  # the grant, with the suspension, in the one statement every page runs
    return bool(getattr(user, MODERATOR_CACHE, False))


def moderator_cache_clear(user: Any) -> None:
    if hasattr(user, MODERATOR_CACHE):
        delattr(user, MODERATOR_CACHE)


def _has_totp(user: Any) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def moderator_required(view: View) -> View:
    """The moderators' pages: 404 to everyone else (the pages do not reveal they exist). Moderators, like admins,
    must have turned on two-factor authentication first: they read private messages and suspend accounts."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_moderator(request.user):
            raise Http404
        if not _has_totp(request.user):
            messages.warning(request, "Moderators must turn on two-factor authentication before using the queue.")
            return redirect("mfa_activate_totp")
        return view(request, *args, **kwargs)

    return wrapper
