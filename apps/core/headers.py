"""Security headers a view declares for itself: which Content-Security-Policy it runs under, and whether its page
may use the camera and microphone.

A view opts in where it is written, never through a list of paths kept elsewhere, so a new page declares what it
needs beside its code:

    @media_capture_allowed          # a room page: Agora asks for the microphone and camera
    @login_required
    def room(request, pk): ...

    @content_security_policy("api_docs")
    class DocsView(View): ...       # or the attribute on the class: content_security_policy = "api_docs"

``ContentSecurityPolicyMiddleware`` (``apps.core.middleware``) reads these from the view the URL resolved to.
Every other page gets the site's policy and ``camera=(), microphone=()``. Django's admin runs under its own policy
(``admin``), picked by the admin's URL namespace.
"""

from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MEDIA_CAPTURE_ATTRIBUTE = "permissions_policy_media_capture"
CSP_ATTRIBUTE = "content_security_policy"
# The policies by name: "site" is settings.CONTENT_SECURITY_POLICY, the others their own settings.
CSP_SETTINGS = {
    "site": "CONTENT_SECURITY_POLICY",
    "admin": "CONTENT_SECURITY_POLICY_ADMIN",
    "api_docs": "CONTENT_SECURITY_POLICY_API_DOCS",
}
MEDIA_CAPTURE_FEATURES = ("camera", "microphone")

View = TypeVar("View", bound=Callable[..., Any])


def media_capture_allowed(view: View) -> View:
    """Let the page this view renders ask for the camera and microphone (``Permissions-Policy: camera=(self)``).

    For the pages that hold an Agora room a person publishes to; put it outermost, or anywhere under decorators
    that use ``functools.wraps`` (which copy the attribute). On a class-based view, the class attribute
    ``permissions_policy_media_capture = True`` does the same."""
    setattr(view, MEDIA_CAPTURE_ATTRIBUTE, True)
    return view


def content_security_policy(name: str) -> Callable[[View], View]:
    """Run this view's page under the named policy of ``CSP_SETTINGS`` instead of the site's."""
    if name not in CSP_SETTINGS:
        raise ImproperlyConfigured(f"Unknown Content-Security-Policy {name!r}; known: {sorted(CSP_SETTINGS)}.")

    def decorate(view: View) -> View:
        setattr(view, CSP_ATTRIBUTE, name)
        return view

    return decorate


def _view_attribute(view: Any, attribute: str) -> Any:
    value = getattr(view, attribute, None)
    if value is None:  # a class-based view's as_view() function keeps the class on view_class
        value = getattr(getattr(view, "view_class", None), attribute, None)
    return value


def view_allows_media_capture(view: Any) -> bool:
    return bool(_view_attribute(view, MEDIA_CAPTURE_ATTRIBUTE))


def view_csp_name(view: Any, *, namespaces: list[str]) -> str:
    declared = _view_attribute(view, CSP_ATTRIBUTE)
    if declared:
        return str(declared)
    if namespaces[:1] == ["admin"]:
        return "admin"
    return "site"


def csp_header(policy: dict[str, list[str]]) -> str:
    return "; ".join(f"{directive} {' '.join(values)}" for directive, values in policy.items())


def csp_headers() -> dict[str, str]:
    """Each named policy as a header value; refuses at start-up a policy that allows inline scripts."""
    headers = {}
    for name, setting in CSP_SETTINGS.items():
        policy: dict[str, list[str]] = getattr(settings, setting)
        for directive in ("script-src", "script-src-elem", "script-src-attr", "default-src"):
            if "'unsafe-inline'" in policy.get(directive, []) or "'unsafe-eval'" in policy.get(directive, []):
                raise ImproperlyConfigured(f"{setting}[{directive!r}] must not allow inline scripts or eval.")
        if "script-src" not in policy:
            raise ImproperlyConfigured(f"{setting} must state script-src.")
        headers[name] = csp_header(policy)
    return headers


def permissions_policy_header(*, media_capture: bool) -> str:
    """``settings.PERMISSIONS_POLICY`` (every listed feature off), with the camera and microphone on for this
    origin when ``media_capture``."""
    features = dict(settings.PERMISSIONS_POLICY)
    if media_capture:
        features.update({feature: ["self"] for feature in MEDIA_CAPTURE_FEATURES})
    return ", ".join(f"{feature}=({' '.join(allow)})" for feature, allow in features.items())
