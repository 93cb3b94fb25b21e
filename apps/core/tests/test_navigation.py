"""Main and footer navigation: who sees which entries, and which entry is the current page."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import NoReverseMatch, reverse

from apps.core.navigation import FOOTER_NAV, NavItem, nav_links

pytestmark = pytest.mark.django_db

ITEMS = [
    NavItem("Home", "pages:home"),
    NavItem("Dashboard", "dashboards:home", visible_to="auth"),
    NavItem("Staff", "pages:about", visible_to="staff"),
]


def _labels(links):
    return [link.label for link in links]


def test_nav_links_anonymous_sees_only_public_entries():
    # when
    links = nav_links(ITEMS, user=AnonymousUser(), path="/")
    # then
    assert _labels(links) == ["Home"]


def test_nav_links_signed_in_client_sees_auth_entries_but_not_staff(client_user):
    # when
    links = nav_links(ITEMS, user=client_user, path="/")
    # then
    assert _labels(links) == ["Home", "Dashboard"]


def test_nav_links_admin_sees_staff_entries(admin_user):
    # when
    links = nav_links(ITEMS, user=admin_user, path="/")
    # then
    assert _labels(links) == ["Home", "Dashboard", "Staff"]


def test_nav_links_no_user_sees_only_public_entries():
    # when (the 500 page renders without a request user)
    links = nav_links(ITEMS, user=None, path="/")
    # then
    assert _labels(links) == ["Home"]


def test_nav_links_unresolvable_url_name_is_skipped():
    # given
    items = [NavItem("Home", "pages:home"), NavItem("Nowhere", "pages:does_not_exist")]
    # when
    links = nav_links(items, user=AnonymousUser(), path="/")
    # then
    assert _labels(links) == ["Home"]


def test_nav_links_marks_only_the_current_page():
    # given
    about = reverse("pages:about")
    # when
    links = nav_links([ITEMS[0], NavItem("About", "pages:about")], user=AnonymousUser(), path=about)
    # then
    assert [(link.label, link.is_current) for link in links] == [("Home", False), ("About", True)]


def test_nav_links_section_stays_current_on_its_subpages(client_user):
    # given
    dashboard = reverse("dashboards:home")
    # when
    links = nav_links(ITEMS, user=client_user, path=f"{dashboard}client/")
    # then
    assert {link.label: link.is_current for link in links} == {"Home": False, "Dashboard": True}


def test_header_anonymous_renders_public_nav_with_aria_current(client):
    # when
    html = client.get(reverse("pages:about")).content.decode()
    # then
    assert f'<a class="nav-link" href="{reverse("pages:about")}" aria-current="page">About</a>' in html
    assert reverse("dashboards:home") not in html


def test_header_signed_in_renders_auth_nav_and_sign_out_form(client, client_user):
    # given
    client.force_login(client_user)
    # when
    html = client.get(reverse("pages:home")).content.decode()
    # then
    assert f'href="{reverse("dashboards:home")}"' in html
    assert f'<form method="post" action="{reverse("account_logout")}"' in html


def test_footer_renders_only_resolvable_links(client):
    # given
    expected = []
    for item in FOOTER_NAV:
        try:
            expected.append(reverse(item.url_name))
        except NoReverseMatch:
            continue
    # when
    html = client.get(reverse("pages:home")).content.decode()
    footer = html[html.index("<footer") :]
    # then
    for url in expected:
        assert f'href="{url}"' in footer
    assert len(expected) >= 1


def test_navigation_check_clean_for_the_shipped_entries():
    from apps.core.navigation import navigation_check

    assert navigation_check(None) == []


def test_navigation_check_entry_that_does_not_resolve_fails_at_start_up(monkeypatch):
    # given: an entry for a section whose URLs are gone
    from apps.core import navigation

    monkeypatch.setattr(navigation, "MAIN_NAV", [*navigation.MAIN_NAV, navigation.NavItem("Forums", "forums:home")])
    # when
    errors = navigation.navigation_check(None)
    # then
    assert [error.id for error in errors] == ["core.E001"] and "forums:home" in errors[0].msg


def test_navigation_entry_unknown_visibility_or_group_refused():
    import pytest
    from django.core.exceptions import ImproperlyConfigured

    from apps.core.navigation import NavItem

    with pytest.raises(ImproperlyConfigured):
        NavItem("Home", "pages:home", visible_to="everyone")
    with pytest.raises(ImproperlyConfigured):
        NavItem("Home", "pages:home", group="footer")
