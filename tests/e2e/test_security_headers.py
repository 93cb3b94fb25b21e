"""Django's admin and the API reference work in Chromium under their real Content-Security-Policy (no inline
scripts): the change list, a change form with the date widgets and a raw-id field, and Redoc render, and the
browser reports no policy violation and no Permissions-Policy error.
"""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from apps.accounts.tests.factories import AdminFactory, give_totp
from tests.e2e.conftest import sign_in_with_session

# Runs before any script of the page (through the browser's debugging protocol, which the policy does not govern)
# and records every violation the page reports.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""


@pytest.fixture
def admin(transactional_db):
    user = AdminFactory(email="operator@example.com")
    give_totp(user)
    return user


def _strict_page(new_page, live_server, user):
    page = new_page(bypass_csp=False)
    page.add_init_script(RECORD_VIOLATIONS)
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if "Content Security Policy" in message.text or "Permissions-Policy" in message.text
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    if user is not None:
        sign_in_with_session(page, live_server.url, user)
    return page, problems


def _assert_clean(page, problems, *, refused_host: str = ""):
    """No violation and no error, except the images ``refused_host`` was refused on purpose."""
    violations = [v for v in page.evaluate("window.__cspViolations") if not (refused_host and refused_host in v)]
    assert violations == [], violations
    problems = [p for p in problems if not (refused_host and refused_host in p)]
    assert problems == [], problems


def test_admin_change_list_and_change_form_widgets_run_under_the_admin_policy(live_server, new_page, admin):
    # given: the admin's authenticator (its change form has date-time widgets and a raw-id user field)
    page, problems = _strict_page(new_page, live_server, admin)
    authenticator = admin.authenticator_set.get()
    # when: the change list
    response = page.goto(live_server.url + reverse("admin:mfa_authenticator_changelist"))
    page.wait_for_load_state("load")
    # then
    assert response is not None and response.status == 200
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert response.headers["permissions-policy"].startswith("camera=(), microphone=()")
    # the admin's scripts ran: the select-all checkbox and the actions bar come from actions.js
    page.locator("#action-toggle").check()
    expect(page.locator(".action-counter")).to_contain_text("1 of 1 selected")
    _assert_clean(page, problems)

    # when: the change form
    response = page.goto(live_server.url + reverse("admin:mfa_authenticator_change", args=[authenticator.pk]))
    page.wait_for_load_state("load")
    # then: DateTimeShortcuts added its "Today" and calendar links, and the calendar opens
    assert response is not None and response.status == 200
    expect(page.locator("#id_created_at_0")).to_be_visible()
    expect(page.locator("#calendarlink0")).to_be_visible()
    page.locator("#calendarlink0").click()
    expect(page.locator("#calendarbox0")).to_be_visible()
    page.locator("#calendarbox0").get_by_role("link", name="Today").click()
    expect(page.locator("#calendarbox0")).to_be_hidden()
    page.locator("#id_created_at_1").fill("")
    page.locator(".datetimeshortcuts").nth(1).get_by_role("link", name="Now").click()
    assert page.locator("#id_created_at_1").input_value() != ""
    # the raw-id field: the user's id, and the lookup into the (read-only) list of users
    expect(page.locator("input#id_user")).to_have_value(str(admin.pk))
    expect(page.locator("a#lookup_id_user")).to_have_attribute(
        "href", re.compile(reverse("admin:accounts_user_changelist"))
    )
    _assert_clean(page, problems)


def test_api_reference_renders_under_the_docs_policy(live_server, new_page):
    # given
    page, problems = _strict_page(new_page, live_server, None)
    # when
    response = page.goto(live_server.url + reverse("api-docs"))
    # then: Redoc (our static copy) fetched the schema and rendered its operations
    assert response is not None and response.status == 200
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    expect(page.locator("h1")).to_contain_text("SoulSeer API", timeout=20_000)
    expect(page.get_by_text("/api/v1/me/").first).to_be_attached()
    # only Redoc's own logo from Redocly's CDN is refused (nothing is loaded from a third party)
    assert "cdn.redoc.ly" not in policy
    _assert_clean(page, problems, refused_host="cdn.redoc.ly")
