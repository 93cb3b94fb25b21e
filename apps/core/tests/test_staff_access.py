"""Every admin page, present and future, is closed to everyone but admins.

The URL patterns are read from the resolver, so a page added under /staff/ or /dashboard/admin/ is covered the day
it is written: anonymous visitors are sent to sign in, clients and readers get 403/404 for GET and POST, and nothing
is written on their behalf.
"""

import re
from collections.abc import Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from apps.accounts.enums import Role
from apps.accounts.tests.factories import UserFactory
from apps.core.models import AuditLog

ADMIN_PREFIXES = ("/staff/", "/dashboard/admin/")
SAMPLE_VALUES = {
    "int": "1",
    "path": "a-value/1",
    "slug": "a-slug",
    "str": "a-value",
    "uuid": "00000000-0000-4000-8000-000000000001",
}
_PLACEHOLDER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>\w+)>")


def _fill(route: str) -> str:
    def sample(match: re.Match[str]) -> str:
        converter = match.group("converter") or "str"
        if converter not in SAMPLE_VALUES:
            raise AssertionError(f"add a sample value for the <{converter}:…> converter used in {route!r}")
        return SAMPLE_VALUES[converter]

    return _PLACEHOLDER.sub(sample, route)


def _walk(patterns: list, prefix: str = "/") -> Iterator[str]:
    for entry in patterns:
        route = str(entry.pattern)
        if route.startswith("^") or route.endswith("$"):
            # Regular-expression routes have no converters to fill; admin pages must not use them.
            if (prefix + route.lstrip("^")).startswith(ADMIN_PREFIXES):
                raise AssertionError(f"admin pages use path(), not re_path(): {prefix}{route}")
            continue
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + _fill(route))
        elif isinstance(entry, URLPattern):
            yield prefix + _fill(route)


def admin_paths() -> list[str]:
    """The path of every URL pattern under the admin-only prefixes, with sample values in its placeholders."""
    paths = [path for path in _walk(get_resolver().url_patterns) if path.startswith(ADMIN_PREFIXES)]
    return sorted(set(paths))


ADMIN_PATHS = admin_paths()


def test_admin_paths_cover_every_app_and_the_admin_dashboard():
    # given / when
    prefixes = {"/".join(path.split("/")[:3]) + "/" for path in ADMIN_PATHS}
    # then: a walk that silently found nothing would prove nothing
    assert reverse("dashboards:admin") in ADMIN_PATHS
    assert reverse("staff_core:audit_log") in ADMIN_PATHS
    assert reverse("staff_accounts:application_list") in ADMIN_PATHS
    assert reverse("staff_pages:ticket_list") in ADMIN_PATHS
    assert len(prefixes) >= 5, prefixes


@pytest.mark.django_db
@pytest.mark.parametrize("path", ADMIN_PATHS)
def test_admin_path_anonymous_is_sent_to_sign_in(client, path):
    # when
    responses = {method: getattr(client, method)(path) for method in ("get", "post")}
    # then
    for method, response in responses.items():
        assert response.status_code == 302, f"{method.upper()} {path} answered {response.status_code}"
        assert response["Location"].startswith(reverse("account_login")), f"{method.upper()} {path}"
    assert not AuditLog.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.CLIENT, Role.READER])
@pytest.mark.parametrize("path", ADMIN_PATHS)
def test_admin_path_signed_in_non_admin_gets_403_or_404_and_nothing_is_written(client, path, role):
    # given
    user = UserFactory(role=role)
    client.force_login(user)
    # when
    responses = {
        "get": client.get(path),
        "post": client.post(path, {"reason": "Let me in.", "role": Role.ADMIN, "body": "Hello", "amount": "10.00"}),
    }
    # then
    for method, response in responses.items():
        assert response.status_code in (403, 404), f"{method.upper()} {path} answered {response.status_code}"
    user.refresh_from_db()
    assert user.role == role and not user.is_staff
    assert not AuditLog.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("path", [path for path in ADMIN_PATHS if not re.search(r"/(1|a-slug|a-value)/", path)])
def test_admin_path_admin_with_totp_is_let_in(admin_client, path):
    # when
    response = admin_client.get(path)
    # then: the view itself answers (a page, 405 for POST-only actions, 400 for a tool that needs parameters),
    # so the 403/404s above come from the permission check and not from a missing page
    assert response.status_code in (200, 400, 405), f"GET {path} answered {response.status_code}"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ADMIN_PATHS)
def test_admin_path_admin_without_totp_is_sent_to_set_it_up(client, admin_user, path):
    # given: an admin who has not turned on two-factor authentication
    client.force_login(admin_user)
    # when
    responses = {method: getattr(client, method)(path) for method in ("get", "post")}
    # then
    for method, response in responses.items():
        assert response.status_code == 302, f"{method.upper()} {path} answered {response.status_code}"
        assert response["Location"] == reverse("mfa_activate_totp"), f"{method.upper()} {path}"
    assert not AuditLog.objects.exists()
