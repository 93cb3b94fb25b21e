"""The Content-Security-Policy and the Permissions-Policy each page is sent, chosen by what its view declares."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.views import View

from apps.accounts.tests.factories import AdminFactory, UserFactory, give_totp
from apps.core.headers import (
    content_security_policy,
    csp_headers,
    media_capture_allowed,
    permissions_policy_header,
    view_allows_media_capture,
    view_csp_name,
)

pytestmark = pytest.mark.django_db

# The pages that hold an Agora room someone publishes to. A livestream's viewers only watch and listen.
ROOM_PAGES = {"readings:room", "live:host", "staff_rtc:test-room"}


def _views(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or ""
            yield from _views(pattern.url_patterns, f"{namespace}:{ns}" if namespace and ns else (ns or namespace))
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield (f"{namespace}:{pattern.name}" if namespace else pattern.name), pattern.callback


def _directive(policy: str, name: str) -> list[str]:
    for part in policy.split(";"):
        words = part.split()
        if words and words[0] == name:
            return words[1:]
    return []


def test_only_the_room_pages_may_use_the_camera_and_microphone():
    # given
    views = dict(_views(get_resolver().url_patterns))
    # when
    allowed = {name for name, view in views.items() if view_allows_media_capture(view)}
    # then
    assert allowed == ROOM_PAGES


def test_page_outside_a_room_turns_the_camera_microphone_and_other_features_off(client):
    # given
    client.force_login(UserFactory())
    # when
    response = client.get(reverse("dashboards:home"), follow=True)
    # then
    policy = response.headers["Permissions-Policy"]
    assert policy.startswith("camera=(), microphone=(), ")
    assert "geolocation=()" in policy and "payment=()" in policy and "display-capture=()" in policy


def test_room_page_allows_the_camera_and_microphone_for_this_origin_only(client):
    # given
    admin = AdminFactory()
    give_totp(admin)
    client.force_login(admin)
    # when
    response = client.get(reverse("staff_rtc:test-room"), {"modality": "video", "label": "desk"})
    # then
    assert response.status_code == 200
    policy = response.headers["Permissions-Policy"]
    assert policy.startswith("camera=(self), microphone=(self), ")
    assert "geolocation=()" in policy


def test_every_page_refuses_inline_scripts_and_framing(client):
    # given
    admin = AdminFactory()
    give_totp(admin)
    client.force_login(admin)
    pages = {
        "site": reverse("pages:home"),
        "admin": reverse("admin:index"),
        "api_docs": reverse("api-docs"),
        "not_found": "/no-such-page/",
    }
    # when
    policies = {name: client.get(url).headers["Content-Security-Policy"] for name, url in pages.items()}
    # then
    for name, policy in policies.items():
        assert _directive(policy, "script-src")[0] == "'self'", name
        assert "'unsafe-inline'" not in _directive(policy, "script-src"), name
        assert _directive(policy, "frame-ancestors") == ["'none'"], name
        assert _directive(policy, "object-src") == ["'none'"], name
    assert policies["site"] == policies["not_found"]
    assert "https://*.agora.io" in _directive(policies["site"], "connect-src")
    assert _directive(policies["admin"], "connect-src") == ["'self'"]
    assert _directive(policies["admin"], "style-src") == ["'self'"]
    assert _directive(policies["api_docs"], "worker-src") == ["'self'", "blob:"]


def test_class_based_view_declares_its_policy_and_media_capture_by_class_attribute():
    # given
    class Room(View):
        permissions_policy_media_capture = True
        content_security_policy = "api_docs"

    @content_security_policy("admin")
    @media_capture_allowed
    def function_room(request):
        raise AssertionError("not called")

    # when / then
    assert view_allows_media_capture(Room.as_view())
    assert view_csp_name(Room.as_view(), namespaces=[]) == "api_docs"
    assert view_allows_media_capture(function_room)
    assert view_csp_name(function_room, namespaces=[]) == "admin"
    assert not view_allows_media_capture(View.as_view())
    assert view_csp_name(View.as_view(), namespaces=["admin"]) == "admin"
    assert view_csp_name(None, namespaces=[]) == "site"


def test_unknown_policy_name_is_refused_at_import():
    with pytest.raises(ImproperlyConfigured, match="Unknown Content-Security-Policy"):
        content_security_policy("nope")


@pytest.mark.parametrize("setting", ["CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_ADMIN"])
def test_policy_allowing_inline_scripts_is_refused_at_start_up(settings, setting):
    # given
    policy = {**getattr(settings, setting), "script-src": ["'self'", "'unsafe-inline'"]}
    # when / then
    with override_settings(**{setting: policy}), pytest.raises(ImproperlyConfigured, match="inline scripts"):
        csp_headers()


def test_permissions_policy_header_lists_every_feature_off_unless_media_capture():
    assert "camera=()" in permissions_policy_header(media_capture=False)
    assert "camera=(self)" in permissions_policy_header(media_capture=True)
    assert "microphone=(self)" in permissions_policy_header(media_capture=True)
    assert "display-capture=()" in permissions_policy_header(media_capture=True)
