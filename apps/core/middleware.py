import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from .errors import domain_error_payload, domain_error_response
from .exceptions import InvalidInputError
from .headers import csp_headers, permissions_policy_header, view_allows_media_capture, view_csp_name


class ContentSecurityPolicyMiddleware:
    """Sends the Content-Security-Policy and the Permissions-Policy each view declares (``apps.core.headers``).

    No page allows inline scripts: every script is a static file. The site's pages run under
    ``settings.CONTENT_SECURITY_POLICY``, Django's admin under ``CONTENT_SECURITY_POLICY_ADMIN``, and a view may
    name another policy with ``@content_security_policy(...)``. The camera and microphone are off except on the
    pages whose view is marked ``@media_capture_allowed``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.csp = csp_headers()
        self.permissions = {flag: permissions_policy_header(media_capture=flag) for flag in (False, True)}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = match.func if match else None
        namespaces = match.namespaces if match else []
        response.headers.setdefault("Content-Security-Policy", self.csp[view_csp_name(view, namespaces=namespaces)])
        response.headers.setdefault("Permissions-Policy", self.permissions[view_allows_media_capture(view)])
        return response


# Deeper than any body a page or an app of ours sends; Python's JSON parser gives up (RecursionError) near 1,000.
MAX_JSON_DEPTH = 64
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKETS = re.compile(rb"[\[\]{}]")


def json_depth(body: bytes) -> int:
    """How deeply arrays and objects nest in a JSON text (brackets inside strings do not count)."""
    depth = deepest = 0
    for bracket in _JSON_BRACKETS.findall(_JSON_STRING.sub(b"", body)):
        if bracket in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _is_json(request: HttpRequest) -> bool:
    return bool(request.content_type) and request.content_type.endswith("json")


class RequestInputGuardMiddleware:
    """Refuses, with a clear 400 and before any view runs, input no view can use and that would otherwise end in a
    server error deep inside: a NUL character in the query string (PostgreSQL text cannot hold one) and a JSON body
    nested past ``MAX_JSON_DEPTH`` (the parsers of REST framework and allauth's headless API recurse)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = self._problem(request)
        if not problem:
            return self.get_response(request)
        error = InvalidInputError(problem, code="invalid_request")
        if _is_json(request):  # a client that sends JSON reads JSON, wherever it posts
            return JsonResponse(domain_error_payload(error), status=error.status_code)
        return domain_error_response(request, error)

    @staticmethod
    def _problem(request: HttpRequest) -> str:
        if any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()):
            return "The address contains a character that is not allowed (NUL)."
        if _is_json(request) and json_depth(request.body) > MAX_JSON_DEPTH:
            return f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels."
        return ""
