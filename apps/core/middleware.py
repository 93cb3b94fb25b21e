from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class ContentSecurityPolicyMiddleware:
    """Sends the Content-Security-Policy built from ``settings.CONTENT_SECURITY_POLICY``.

    No inline scripts or styles are allowed; every script is a static file.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        policy = settings.CONTENT_SECURITY_POLICY
        self.header = "; ".join(f"{name} {' '.join(values)}" for name, values in policy.items())

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/admin/") and not request.path.startswith("/api/docs"):
            response.headers.setdefault("Content-Security-Policy", self.header)
        response.headers.setdefault("Permissions-Policy", "camera=(self), microphone=(self), geolocation=()")
        return response
