"""The theme endpoint behind the header's light/dark toggle."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from apps.core.exceptions import DomainError

from .services import user_set_theme, user_timezone_detected


@login_required
@require_POST
def theme_set(request: HttpRequest) -> HttpResponse:
    try:
        user_set_theme(user=request.user, theme=request.POST.get("theme", ""))
    except DomainError as error:
        return HttpResponseBadRequest(error.message, content_type="text/plain; charset=utf-8")
    if request.htmx or request.headers.get("X-Requested-With"):
        return HttpResponse(status=204)
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    return redirect(next_url)


@login_required
@require_POST
def timezone_detect(request: HttpRequest) -> HttpResponse:
    """The browser's time zone, posted once by static/js/timezone-detect.js while the user has not chosen one."""
    try:
        user_timezone_detected(user=request.user, timezone=request.POST.get("timezone", ""))
    except DomainError as error:
        return HttpResponseBadRequest(error.message, content_type="text/plain; charset=utf-8")
    return HttpResponse(status=204)
