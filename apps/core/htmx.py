"""HTMX responses shared by every app. HTMX requests are detected with ``request.htmx`` (django-htmx) only.

htmx 2 does not swap 4xx/5xx answers into the page. An error partial therefore names where it goes
(``HX-Retarget``, ``HX-Reswap``) and ``static/js/behaviours.js`` swaps any error answer that does so: by default
into the layout's live region (``ERROR_REGION``), or beside a form when the view says so.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

ERROR_REGION = "#error-region"
ERROR_PARTIAL = "core/partials/_error.html"


def htmx_error(
    request: HttpRequest, *, message: str, status: int, target: str = ERROR_REGION, template: str = ERROR_PARTIAL
) -> HttpResponse:
    """A short error message for an HTMX request, swapped into ``target`` (the page's error region by default)."""
    response = render(request, template, {"error": message, "status": status}, status=status)
    response["HX-Retarget"] = target
    response["HX-Reswap"] = "innerHTML"
    return response
