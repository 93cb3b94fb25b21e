"""One place that turns a domain error into a response.

Services and selectors raise ``DomainError`` subclasses (``apps/core/exceptions.py``); each class carries its HTTP
status. Views let them through unless they show the message beside a form field, and ``DomainErrorMiddleware``
answers with:

- JSON ``{"detail": ..., "code": ...}`` for API requests (under ``/api/``, or asking for JSON first), also through
  ``drf_exception_handler`` for the REST framework's views;
- a small partial swapped into the page's error region for HTMX requests (``apps.core.htmx.htmx_error``);
- a full error page otherwise.

``domain_errors_redirect`` is the other standard answer, for forms posted from a page: the message is flashed
and the user sent back to that page.
"""

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from rest_framework.response import Response
from rest_framework.views import exception_handler

from .exceptions import DomainError, NotFound
from .htmx import htmx_error

logger = logging.getLogger(__name__)

ERROR_TEMPLATE = "error.html"

# The heading of the full error page, by status. The message of the error itself says what happened.
ERROR_TITLES = {
    400: "This could not be done",
    402: "Not enough funds",
    403: "Not allowed",
    404: "This path is hidden",
    409: "Not possible right now",
    429: "Please slow down",
    503: "Not available on this server",
}


def domain_error_payload(error: DomainError) -> dict[str, str]:
    return {"detail": error.message, "code": error.code}


def wants_json(request: HttpRequest) -> bool:
    if request.path.startswith("/api/"):
        return True
    return request.get_preferred_type(["text/html", "application/json"]) == "application/json"


def domain_error_response(request: HttpRequest, error: DomainError) -> HttpResponse:
    status = error.status_code
    logger.info("domain error %s (%s) on %s %s", error.code, status, request.method, request.path)
    if wants_json(request):
        return JsonResponse(domain_error_payload(error), status=status)
    if getattr(request, "htmx", False):
        return htmx_error(request, message=error.message, status=status)
    context = {"error": error.message, "status": status, "title": ERROR_TITLES.get(status, ERROR_TITLES[400])}
    return render(request, ERROR_TEMPLATE, context, status=status)


class DomainErrorMiddleware:
    """Answers every domain error a view lets through (see the module docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DomainError):
            return domain_error_response(request, exception)
        return None


def drf_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """The REST framework's handler, plus domain errors as ``{detail, code}`` with their status."""
    if isinstance(exc, DomainError):
        return Response(domain_error_payload(exc), status=exc.status_code)
    return exception_handler(exc, context)


def domain_errors_redirect(url_name: str, *kwarg_names: str) -> Callable[[Callable[..., HttpResponse]], Any]:
    """For a form posted from a page: a refused action is flashed and the user sent back to ``url_name``
    (reversed with the view's ``kwarg_names``), where the message shows. "Not found" still answers 404, and
    HTMX and API requests get the middleware's answer."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                return view(request, *args, **kwargs)
            except NotFound:
                raise
            except DomainError as error:
                if getattr(request, "htmx", False) or wants_json(request):
                    raise
                messages.error(request, error.message)
                return redirect(url_name, **{name: kwargs[name] for name in kwarg_names})

        return wrapper

    return decorator
