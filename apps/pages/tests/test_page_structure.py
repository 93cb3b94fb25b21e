"""Every page a person can reach from the navigation has the same bones: a skip link to one <main>, a header with
the main navigation, a footer, exactly one <h1>, and no placeholder text."""

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from apps.accounts.tests.factories import give_totp
from apps.core.navigation import FOOTER_NAV, MAIN_NAV, nav_links

from .factories import ensure_initial_policies

pytestmark = pytest.mark.django_db

PLACEHOLDER = re.compile(r"lorem ipsum|coming soon|placeholder|example data|dummy|todo", re.IGNORECASE)
AUTH_PAGES = ["account_login", "account_signup", "account_reset_password"]
ACCOUNT_PAGES = ["account_email", "account_change_password", "mfa_index", "accounts:settings"]
ADMIN_PAGES = [
    "dashboards:admin",
    "staff_accounts:application_list",
    "staff_accounts:user_list",
    "staff_core:audit_log",
    "staff_pages:ticket_list",
]


class _Outline(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: dict[str, int] = {}
        self.first_link: tuple[str, str] | None = None
        self.main_id = ""
        self.text: list[str] = []
        self._skip_text = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] = self.tags.get(tag, 0) + 1
        values = dict(attrs)
        if tag == "a" and self.first_link is None:
            self.first_link = (values.get("href") or "", values.get("class") or "")
        if tag == "main":
            self.main_id = values.get("id") or ""
        if tag in ("script", "style"):
            self._skip_text += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip_text -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip_text:
            self.text.append(data)


def _assert_page_outline(client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    outline = _Outline()
    outline.feed(response.content.decode())
    assert outline.tags.get("h1") == 1, f"{url} has {outline.tags.get('h1', 0)} <h1>"
    assert outline.tags.get("main") == 1 and outline.main_id == "main", url
    assert outline.first_link == ("#main", "skip-link"), f"{url} does not start with the skip link"
    assert outline.tags.get("header", 0) >= 1 and outline.tags.get("footer", 0) >= 1, url
    text = " ".join(outline.text)
    assert not PLACEHOLDER.search(text), f"{url} shows placeholder text: {PLACEHOLDER.search(text).group(0)!r}"


def _pages_for(user) -> list[str]:
    urls = [link.url for link in nav_links(MAIN_NAV + FOOTER_NAV, user=user, path="/")]
    return list(dict.fromkeys(urls))


def test_public_pages_anonymous_have_one_h1_landmarks_and_skip_link(client):
    # given
    ensure_initial_policies()
    pages = _pages_for(None) + [reverse(name) for name in AUTH_PAGES]
    # when / then
    assert reverse("pages:terms") in pages
    for url in pages:
        _assert_page_outline(client, url)


@pytest.mark.parametrize("fixture", ["client_user", "reader_user"])
def test_signed_in_pages_have_one_h1_landmarks_and_skip_link(client, request, fixture):
    # given
    ensure_initial_policies()
    user = request.getfixturevalue(fixture)
    client.force_login(user)
    pages = _pages_for(user) + [reverse(name) for name in ACCOUNT_PAGES]
    # when / then
    assert reverse("dashboards:home") in pages
    for url in pages:
        if url == reverse("dashboards:home"):
            url = client.get(url)["Location"]
        _assert_page_outline(client, url)


def test_admin_pages_have_one_h1_landmarks_and_skip_link(admin_client):
    for name in ADMIN_PAGES:
        _assert_page_outline(admin_client, reverse(name))


def test_not_found_page_has_one_h1_landmarks_and_skip_link(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    outline = _Outline()
    outline.feed(response.content.decode())
    assert outline.tags.get("h1") == 1 and outline.tags.get("main") == 1
    assert outline.first_link == ("#main", "skip-link")


def test_reader_dashboard_with_totp_has_one_h1(client, reader_user):
    give_totp(reader_user)
    client.force_login(reader_user)
    _assert_page_outline(client, reverse("dashboards:reader"))
