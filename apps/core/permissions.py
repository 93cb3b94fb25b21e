"""Server-side access checks for views. Objects are scoped in selectors; these guard whole views.

Non-admins asking for an admin page get 404, so admin pages do not reveal that they exist.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

View = Callable[..., HttpResponse]


def staff_required(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_staff:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def reader_required(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not getattr(request.user, "is_reader", False):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def has_verified_email(user: Any) -> bool:
    from allauth.account.models import EmailAddress

    return EmailAddress.objects.filter(user=user, verified=True).exists()


def has_verified_email_sql(user_param: str) -> str:
    """``has_verified_email`` as an SQL boolean, for a statement that reads it with other rows (a payment reads
    it with the row it locks); ``user_param`` is the placeholder of the user's id, e.g. ``%(payer)s``."""
    from allauth.account.models import EmailAddress

    table = EmailAddress._meta.db_table
    return f"EXISTS (SELECT 1 FROM {table} WHERE user_id = {user_param} AND verified)"  # noqa: S608  # nosec B608: a model table and a placeholder, no input


def verified_email_required(view: View) -> View:
    """For every money action: the user's email address must be verified."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not has_verified_email(request.user):
            messages.error(request, "Please verify your email address before doing anything with money.")
            return redirect("account_email")
        return view(request, *args, **kwargs)

    return wrapper
