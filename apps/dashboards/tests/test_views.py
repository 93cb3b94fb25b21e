from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory, give_totp, reader_application_create
from apps.dashboards import sections as dashboard_sections
from apps.dashboards.sections import Section
from apps.dashboards.tests.helpers import dashboard_cast, dashboard_rows_add
from apps.messaging.tests.factories import fund_wallet

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "fixture, target",
    [("client_user", "dashboards:client"), ("reader_user", "dashboards:reader"), ("admin_user", "dashboards:admin")],
)
def test_home_sends_each_role_to_its_dashboard(client, request, fixture, target):
    client.force_login(request.getfixturevalue(fixture))
    response = client.get(reverse("dashboards:home"))
    assert response.status_code == 302 and response["Location"] == reverse(target)


def test_client_dashboard_offers_reader_application(client, client_user):
    client.force_login(client_user)
    content = client.get(reverse("dashboards:client")).content.decode()
    assert f'href="{reverse("accounts:reader_application")}"' in content
    assert "Apply to become a reader" in content
    assert client_user.email in content


def test_client_dashboard_shows_pending_application_status(client, client_user):
    reader_application_create(client_user)
    client.force_login(client_user)
    content = client.get(reverse("dashboards:client")).content.decode()
    assert "pending review" in content and "Apply to become a reader" not in content


def test_reader_dashboard_without_totp_prompts_for_mfa(client, reader_user):
    client.force_login(reader_user)
    content = client.get(reverse("dashboards:reader")).content.decode()
    assert "data-mfa-prompt" in content
    assert f'href="{reverse("mfa_activate_totp")}"' in content


def test_reader_dashboard_with_totp_has_no_prompt(client, reader_user):
    give_totp(reader_user)
    client.force_login(reader_user)
    content = client.get(reverse("dashboards:reader")).content.decode()
    assert "data-mfa-prompt" not in content and "Two-factor authentication is on" in content


def test_reader_dashboard_client_gets_404(client, client_user):
    client.force_login(client_user)
    assert client.get(reverse("dashboards:reader")).status_code == 404


@pytest.mark.parametrize("fixture", ["client_user", "reader_user"])
def test_admin_dashboard_non_admin_gets_404(client, request, fixture):
    client.force_login(request.getfixturevalue(fixture))
    assert client.get(reverse("dashboards:admin")).status_code == 404


def test_admin_dashboard_counts_pending_applications_and_links_tools(admin_client):
    # given
    reader_application_create(UserFactory())
    reader_application_create(UserFactory())
    # when
    content = admin_client.get(reverse("dashboards:admin")).content.decode()
    # then
    assert "<strong>2</strong> applications waiting for review" in content
    for name in ("staff_accounts:application_list", "staff_accounts:user_list", "staff_core:audit_log"):
        assert reverse(name) in content


def test_admin_dashboard_empty_queue_says_so(admin_client):
    content = admin_client.get(reverse("dashboards:admin")).content.decode()
    assert "No applications are waiting for review." in content


def test_admin_dashboard_admin_without_totp_sent_to_mfa_activation(client, admin_user):
    # given: signed in, and password confirmed just now (TOTP activation asks for that)
    client.force_login(admin_user)
    client.post(reverse("account_reauthenticate"), {"password": DEFAULT_PASSWORD})
    # when
    dashboard = client.get(reverse("dashboards:admin"))
    activation = client.get(reverse("mfa_activate_totp"))
    # then: the set-up page itself stays reachable, so there is no redirect loop
    assert dashboard.status_code == 302 and dashboard["Location"] == reverse("mfa_activate_totp")
    assert activation.status_code == 200


def _main(content: str) -> str:
    """The page's own content, without the site header (its badges load themselves after the page)."""
    return content[content.index("<main") : content.index("</main>")]


def test_dashboard_panel_section_is_rendered_in_the_page_without_a_load_request(client, client_user):
    # given: a client with money in the wallet (the wallet section is a panel with its own URL)
    fund_wallet(client_user, Decimal("25.00"))
    client.force_login(client_user)
    # when
    content = _main(client.get(reverse("dashboards:client")).content.decode())
    # then: the panel's content is in the page itself, as its own URL answers it, and nothing waits to load
    wallet = client.get(reverse("wallet:dashboard_panel")).content.decode()
    assert wallet.strip() and wallet in content and "$25.00" in content
    assert 'hx-trigger="load"' not in content and "Loading…" not in content
    assert f'<div aria-live="polite" data-panel="{reverse("wallet:dashboard_panel")}">' in content


def test_dashboard_panel_that_refreshes_itself_keeps_its_refresh(client, reader_user):
    # given
    client.force_login(reader_user)
    # when
    content = _main(client.get(reverse("dashboards:reader")).content.decode())
    # then: the reading requests still poll their own URL, and the status card still listens for presence changes
    assert f'hx-get="{reverse("readings:incoming_panel")}?known=" hx-trigger="every 3s"' in content
    assert 'hx-trigger="reader-presence-changed from:body"' in content
    assert 'hx-trigger="load"' not in content


def test_dashboard_panel_its_view_refuses_is_loaded_after_the_page_with_a_busy_placeholder(
    client, client_user, monkeypatch
):
    # given: a panel whose view does not answer this person 200 (a reader's panel on a client's dashboard)
    panel = Section(
        "requests", "Reading requests", panel_url_name="readings:incoming_panel", fallback_url_name="readings:history"
    )
    monkeypatch.setitem(dashboard_sections._REGISTRY, "client", dict(dashboard_sections._REGISTRY["client"]))
    dashboard_sections.dashboard_section_register(role="client", order=99, section=panel)
    client.force_login(client_user)
    # when
    response = client.get(reverse("dashboards:client"))
    # then: the page still answers, and loads that panel as before, saying it is loading
    content = response.content.decode()
    panel_url = reverse("readings:incoming_panel")
    assert response.status_code == 200
    assert f'hx-get="{panel_url}" hx-trigger="load" hx-swap="innerHTML" aria-live="polite" aria-busy="true"' in content
    assert "Loading…" in content
    assert f'<a href="{reverse("readings:history")}">Open reading requests</a>' in content


def _dashboard_queries(client, url: str) -> int:
    client.get(url)  # the first request fills the per-process caches (content types, site)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("role", ["client", "reader", "admin"])
def test_dashboard_queries_stay_constant_whatever_the_rows(client, role):
    # given: every section of the dashboard has one row to show
    cast = dashboard_cast()
    dashboard_rows_add(cast, 1)
    client.force_login(getattr(cast, role))
    url = reverse(f"dashboards:{role}")
    few = _dashboard_queries(client, url)
    # when: every list grows
    dashboard_rows_add(cast, 6)
    many = _dashboard_queries(client, url)
    # then: the page, with every panel rendered in it, reads as many queries as before
    assert 'hx-trigger="load"' not in _main(client.get(url).content.decode())
    assert many == few


@pytest.mark.parametrize("role", ["client", "reader", "admin"])
def test_dashboard_reads_each_row_once(client, role):
    # given: every section of the dashboard has rows to show
    cast = dashboard_cast()
    dashboard_rows_add(cast, 2)
    client.force_login(getattr(cast, role))
    url = reverse(f"dashboards:{role}")
    client.get(url)
    # when
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    # then: no statement runs twice with the same parameters (the panels share the profile, the live reading,
    # the earnings balance and the two-factor check instead of each reading them)
    statements = Counter(query["sql"] for query in captured.captured_queries)
    assert [sql for sql, times in statements.items() if times > 1] == []


def test_section_needs_exactly_one_source():
    with pytest.raises(ValueError):
        Section("broken", "Broken")
    with pytest.raises(ValueError):
        Section("broken", "Broken", template="x.html", panel_url_name="accounts:settings")


def test_dashboard_sections_every_role_has_its_sections_in_order():
    keys = {role: [s.key for s in dashboard_sections.dashboard_sections(role)] for role in dashboard_sections.ROLES}
    assert keys["client"] == [
        "account",
        "become-reader",
        "favorites",
        "wallet",
        "bookings",
        "readings",
        "shop-orders",
        "forum-following",
    ]
    assert keys["reader"] == [
        "getting-started",
        "reader-status",
        "reading-requests",
        "live",
        "reader-bookings",
        "availability",
        "earnings",
        "payouts",
        "readings",
        "analytics",
        "forum-following",
        "security",
        "account",
    ]
    assert keys["admin"][0] == "reader-applications" and keys["admin"][-1] == "admin-tools"


def test_dashboard_section_register_unknown_role_or_duplicate_key_refused(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.setitem(dashboard_sections._REGISTRY, "client", dict(dashboard_sections._REGISTRY["client"]))
    with pytest.raises(ImproperlyConfigured):
        dashboard_sections.dashboard_section_register(
            role="guest", order=1, section=Section("x", "X", template="dashboards/sections/_account.html")
        )
    with pytest.raises(ImproperlyConfigured):
        dashboard_sections.dashboard_section_register(
            role="client",
            order=1,
            section=Section("wallet", "Another wallet", template="dashboards/sections/_account.html"),
        )


def test_dashboard_sections_check_reports_names_that_do_not_resolve(monkeypatch):
    # given: a section whose URL name, template and context do not exist
    from apps.dashboards.apps import dashboard_sections_check

    monkeypatch.setitem(dashboard_sections._REGISTRY, "admin", dict(dashboard_sections._REGISTRY["admin"]))
    assert dashboard_sections_check(None) == []
    dashboard_sections.dashboard_section_register(
        role="admin", order=5, section=Section("ghost", "Ghost", panel_url_name="nowhere:panel")
    )
    dashboard_sections.dashboard_section_register(
        role="admin",
        order=6,
        section=Section("ghost2", "Ghost", template="dashboards/none.html", context="apps.dashboards.contexts.nothing"),
    )
    # when
    errors = dashboard_sections_check(None)
    # then
    messages = " ".join(error.msg for error in errors)
    assert {error.id for error in errors} == {"dashboards.E001"} and len(errors) == 3
    assert "nowhere:panel" in messages and "dashboards/none.html" in messages and "contexts.nothing" in messages
