"""The whole public journey in a real browser: sign up, verify the email, sign in, switch theme, set up
two-factor authentication, and open every page of the navigation, the footer and the account area.

axe-core runs on every page, in the theme the page is shown in, and the test fails on any serious or
critical violation. Every signed-in page is opened in the light theme (the account's choice) and checked to be
served in it; back in the dark theme, every page is checked to be served dark again.

The dark theme at 1280 px is also what ``tests/e2e/test_layout_keyboard.py`` walks (the visitor's and the
client's roles, every link of the header and the footer, in CI with the rest), with axe-core and a 200 answer
on each page. Where that walk already makes every check this journey made, the journey no longer opens the page
(or runs axe-core on a page it opens to act on):

- signed out: the pages of the main and footer navigation (Home, Readers, About, Live, Shop, Community, Help,
  Terms of Service, Privacy Policy, Refund Policy), the sign-in, sign-up and password reset pages: the
  visitor's walk (its header and footer links, and its extra sign-in, sign-up and reset pages);
- signed in, dark: the pages of the main navigation, the account menu and the footer (the sections and policies
  above, Dashboard, Readings, Bookings, Orders, Messages, Wallet, Notifications, Profile and settings, Email
  addresses, Password, Two-factor authentication): the client's walk. That each of them is served in the
  account's dark theme is still checked here, on the HTML the server sends (a signed-in page's theme is the
  server's: ``theme-init.js`` only reads the browser's choice for visitors). The two account pages no menu links
  to (reauthenticate, sign out) are still opened with axe-core.

The page that says the reset email is sent is checked once, when the reset form leads to it (it was also opened
on its own before, signed out, in the same theme), and the skip link is tried on the home page just reloaded in
the light theme instead of on a page load of its own.
"""

import importlib
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.urls import reverse
from playwright.sync_api import expect

from apps.accounts.models import User
from tests.e2e.conftest import assert_axe_clean, totp_code

EMAIL = "seeker@example.com"
PASSWORD = "moonlit-garden-path-2026"
NEW_PASSWORD = "quiet-harbour-lantern-77"


def _open(page, url: str, *, expect_status: int = 200, axe: bool = True) -> None:
    """Open ``url`` and run axe-core on it; ``axe=False`` where the layout walk runs it on the same page, in the same
    theme and width (see the module's docstring)."""
    response = page.goto(url)
    assert response is not None
    assert response.status == expect_status, f"{url} answered {response.status}"
    if axe:
        assert_axe_clean(page)


def _served_theme(page, url: str) -> str:
    """The theme the server renders ``url`` in for this browser's session, without rendering the page."""
    response = page.request.get(url)
    assert response.status == 200, f"{url} answered {response.status}"
    match = re.search(r'<html[^>]*\sdata-theme="([a-z]+)"', response.text())
    assert match, f"{url} has no data-theme on <html>"
    return match.group(1)


def _path_from_last_email(pattern: str) -> str:
    """The path of the link in the last email; links carry the public SITE_URL, not the test server's."""
    assert mail.outbox, "no email was sent"
    body = mail.outbox[-1].body
    match = re.search(pattern, body)
    assert match, f"no link matching {pattern!r} in:\n{body}"
    return urlsplit(match.group(0)).path


def _html_theme(page) -> str:
    return page.evaluate("document.documentElement.getAttribute('data-theme')")


def _nav_hrefs(page, selector: str) -> list[str]:
    return page.eval_on_selector_all(selector, "links => links.map(link => link.getAttribute('href'))")


def _sign_out(page) -> None:
    page.locator('button[aria-controls="account-menu"]').click()
    assert page.locator('button[aria-controls="account-menu"]').get_attribute("aria-expanded") == "true"
    with page.expect_navigation():
        page.locator("#account-menu").get_by_role("button", name="Sign out").click()
    assert page.locator("#account-menu").count() == 0


@pytest.fixture
def published_policies():
    """The policies the data migration publishes; a transactional test starts from an emptied database."""
    from django.apps import apps

    migration = importlib.import_module("apps.pages.migrations.0002_initial_policies")
    migration.create_policies(apps, None)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("published_policies")
def test_site_journey_sign_up_verify_sign_in_theme_and_every_page(live_server, new_page):
    base = live_server.url
    # Reduced motion: axe measures colours at rest, not halfway through a fade-in.
    page = new_page(color_scheme="dark", reduced_motion="reduce", viewport={"width": 1280, "height": 900})

    # --- Anonymous visitor: public pages, theme remembered in this browser -------------------------
    _open(page, base + reverse("pages:home"), axe=False)
    assert _html_theme(page) == "dark"
    assert page.locator('nav[aria-label="Main"] a[aria-current="page"]').inner_text() == "Home"
    toggle = page.locator("[data-theme-toggle]")
    assert toggle.get_attribute("aria-pressed") == "false"
    toggle.click()
    assert _html_theme(page) == "light"
    assert toggle.get_attribute("aria-pressed") == "true"
    page.reload()
    assert _html_theme(page) == "light"
    assert_axe_clean(page)

    # Keyboard: on the page just loaded, the first Tab reaches the skip link, which leads to <main>.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.locator("[data-theme-toggle]").click()
    assert _html_theme(page) == "dark"

    # Small screens: the navigation folds into a menu button.
    page.set_viewport_size({"width": 390, "height": 844})
    menu_button = page.locator('button[aria-controls="site-menu"]')
    assert menu_button.get_attribute("aria-expanded") == "false"
    expect(page.locator("#site-menu")).to_be_hidden()
    menu_button.click()
    assert menu_button.get_attribute("aria-expanded") == "true"
    expect(page.locator("#site-menu").get_by_role("link", name="About")).to_be_visible()
    assert_axe_clean(page)
    page.keyboard.press("Escape")
    expect(page.locator("#site-menu")).to_be_hidden()
    assert page.evaluate("document.activeElement.getAttribute('aria-controls')") == "site-menu"
    page.set_viewport_size({"width": 1280, "height": 900})

    # The pages of the main and footer navigation: the visitor's layout walk opens each with axe-core.
    anonymous_pages = _nav_hrefs(page, 'nav[aria-label="Main"] a') + _nav_hrefs(page, 'nav[aria-label="Footer"] a')
    assert reverse("pages:about") in anonymous_pages
    _open(page, base + "/no-such-page/", expect_status=404)
    assert page.get_by_role("heading", level=1).inner_text() == "This path is hidden"

    # --- Sign up; the honeypot stays hidden and empty ---------------------------------------------
    _open(page, base + reverse("account_signup"), axe=False)
    honeypot = page.locator('input[name="website"]')
    assert honeypot.get_attribute("tabindex") == "-1"
    assert honeypot.get_attribute("autocomplete") == "off"
    assert honeypot.locator("xpath=ancestor::*[@aria-hidden='true']").count() == 1
    box = honeypot.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 0, "the honeypot must sit off screen"
    page.locator("#id_email").fill(EMAIL)
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Sign Up").click()
    page.wait_for_url(f"**{reverse('account_email_verification_sent')}")
    assert_axe_clean(page)
    assert User.objects.filter(email=EMAIL).exists()

    # --- Verify the email from the outbox ---------------------------------------------------------
    confirm_path = _path_from_last_email(r"https?://\S+/accounts/confirm-email/\S+/")
    _open(page, base + confirm_path)
    page.locator("main").get_by_role("button", name="Confirm").click()
    page.wait_for_load_state()
    assert User.objects.get(email=EMAIL).emailaddress_set.get(email=EMAIL).verified

    # Confirming signs the new user in; sign out through the account menu and sign in again.
    if page.locator("#account-menu").count():
        _sign_out(page)
    _open(page, base + reverse("account_login"), axe=False)
    page.locator("#id_login").fill(EMAIL)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Sign In").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    assert page.locator("#account-menu").count() == 1
    assert_axe_clean(page)

    # --- Theme for a signed-in user: stored on the account, dark until they choose ----------------
    assert _html_theme(page) == "dark"
    with page.expect_response(lambda response: response.url.endswith(reverse("accounts:theme"))) as theme_post:
        page.locator("[data-theme-toggle]").click()
    assert theme_post.value.status == 204
    assert _html_theme(page) == "light"
    assert User.objects.get(email=EMAIL).theme == "light"
    page.reload()
    assert _html_theme(page) == "light"
    assert page.locator("html").get_attribute("data-theme-persist") == "server"

    # --- Every page of the navigation, footer and account menu, in light and then dark ---------------
    signed_in_pages = list(
        dict.fromkeys(
            _nav_hrefs(page, 'nav[aria-label="Main"] a')
            + _nav_hrefs(page, 'nav[aria-label="Footer"] a')
            + _nav_hrefs(page, "#account-menu a")
        )
    )
    assert reverse("dashboards:home") in signed_in_pages
    assert reverse("account_email") in signed_in_pages
    # Pages of the account area that no menu links to: the client's layout walk does not open them.
    unlinked_account_pages = [reverse("account_reauthenticate"), reverse("account_logout")]
    account_pages = [reverse("account_change_password"), reverse("mfa_index"), *unlinked_account_pages]
    assert _html_theme(page) == "light"
    for href in dict.fromkeys(signed_in_pages + account_pages):
        _open(page, base + href)
        assert _html_theme(page) == "light"
    with page.expect_response(lambda response: response.url.endswith(reverse("accounts:theme"))):
        page.locator("[data-theme-toggle]").click()
    assert User.objects.get(email=EMAIL).theme == "dark"
    # Dark: every page is served dark; the client's layout walk runs axe-core on those the menus link to, the
    # others are opened here.
    for href in dict.fromkeys(signed_in_pages + account_pages):
        if href in unlinked_account_pages:
            _open(page, base + href)
            assert _html_theme(page) == "dark"
        else:
            assert _served_theme(page, base + href) == "dark", href
    _open(page, base + "/no-such-page/", expect_status=404)

    # --- Two-factor authentication: activate TOTP, see the recovery codes -------------------------
    _open(page, base + reverse("mfa_activate_totp"))
    if reverse("account_reauthenticate") in page.url:
        # Security settings ask for the password again once the sign-in is no longer fresh.
        page.locator("#id_password").fill(PASSWORD)
        page.locator("main").get_by_role("button", name="Confirm").click()
        page.wait_for_url(f"**{reverse('mfa_activate_totp')}")
        assert_axe_clean(page)
    secret = page.locator("#authenticator_secret").input_value()
    assert page.locator("#id_code").get_attribute("inputmode") == "numeric"
    page.locator("#id_code").fill(totp_code(secret))
    page.locator("main").get_by_role("button", name="Activate").click()
    page.wait_for_load_state()
    _open(page, base + reverse("mfa_view_recovery_codes"))
    recovery_codes = page.locator("#recovery_codes").input_value().split()
    assert len(recovery_codes) >= 1
    _open(page, base + reverse("mfa_index"))
    _open(page, base + reverse("mfa_generate_recovery_codes"))

    # --- Sign in again: the second step asks for a code (a recovery code works) -------------------
    _sign_out(page)
    _open(page, base + reverse("account_login"), axe=False)
    page.locator("#id_login").fill(EMAIL)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"**{reverse('mfa_authenticate')}")
    assert_axe_clean(page)
    page.locator("#id_code").fill(recovery_codes[0])
    page.locator("main").get_by_role("button", name="Sign In").click()
    page.wait_for_url(lambda url: reverse("mfa_authenticate") not in url)
    assert page.locator("#account-menu").count() == 1

    # --- Password reset by email, signed out ------------------------------------------------------
    _sign_out(page)
    _open(page, base + reverse("account_reset_password"), axe=False)
    page.locator("#id_email").fill(EMAIL)
    page.locator("main").get_by_role("button", name="Reset My Password").click()
    page.wait_for_url(f"**{reverse('account_reset_password_done')}")
    assert_axe_clean(page)
    reset_path = _path_from_last_email(r"https?://\S+/accounts/password/reset/key/\S+/")
    page.goto(base + reset_path)
    page.wait_for_load_state()
    assert_axe_clean(page)
    page.locator("#id_password1").fill(NEW_PASSWORD)
    page.locator("#id_password2").fill(NEW_PASSWORD)
    page.locator("main").get_by_role("button", name="Change Password").click()
    page.wait_for_url(f"**{reverse('account_reset_password_from_key_done')}")
    assert_axe_clean(page)
    assert User.objects.get(email=EMAIL).check_password(NEW_PASSWORD)
