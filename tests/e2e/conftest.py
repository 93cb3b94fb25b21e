"""Browser end-to-end tests: Playwright (Python) driving Debian's Chromium against pytest-django's live server.

Playwright's sync API runs an event loop in this thread, so Django's async-safety check is relaxed for
these tests only. The browser fixtures (``browser``, ``new_page``, ``page``) live in ``tests/support/browser.py``,
loaded for the whole suite, so the e2e and the attack tests share one Playwright per process.
"""

import json
import os
import re
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent.parent
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items):
    # The hook sees every collected test: those in this folder are marked (by their path under it, so a
    # checkout that happens to live under some ".../e2e/..." folder does not mark the whole suite).
    here = Path(__file__).resolve().parent
    for item in items:
        if Path(item.path).resolve().is_relative_to(here):
            item.add_marker(pytest.mark.e2e)


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core (bundled from npm) in the page and return violations of the given impacts.

    axe-core is added to the page's context as an init script the first time, so every later page of the test
    has it from the start instead of receiving its 650 kB again."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        if not getattr(page.context, "_axe_init", False):
            page.context.add_init_script(path=str(AXE_JS))
            page.context._axe_init = True
        page.add_script_tag(path=str(AXE_JS))
    # Only what the report needs crosses back from the page: axe's whole result (every rule it ran, with its
    # metadata) is large, and the browser driver serialises and checks every byte of it.
    return page.evaluate(
        """async (impacts) => {
          const result = await axe.run(document, {resultTypes: ["violations"]});
          return result.violations
            .filter((v) => impacts.includes(v.impact))
            .map((v) => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({target: n.target}))}));
        }""",
        list(impacts),
    )


def assert_axe_clean(page) -> None:
    violations = axe_violations(page)
    summary = [f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:5]}" for v in violations]
    assert not violations, f"axe violations on {page.url}:\n" + "\n".join(summary)


# --- Shared journeys ------------------------------------------------------------------------------


def totp_code(secret: str) -> str:
    """The current TOTP code for ``secret``, never one about to expire (a code lives for its 30 s window)."""
    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    period = app_settings.TOTP_PERIOD
    remaining = period - time.time() % period
    if remaining < 5:
        time.sleep(remaining + 0.5)
    return format_hotp_value(hotp_value(secret, int(time.time()) // period))


def sign_in(page, base_url: str, email: str, totp_secret: str | None = None) -> None:
    """Sign in through the real login page (and the TOTP step when ``totp_secret`` is given); returns once the
    browser has left the login page, so the next navigation cannot cut the sign-in short."""
    from apps.accounts.tests.factories import DEFAULT_PASSWORD

    page.goto(base_url + reverse("account_login"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.locator("main").get_by_role("button", name="Sign In").click()
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/).*$"))
    if totp_secret:
        page.wait_for_url(f"**{reverse('mfa_authenticate')}")
        page.locator("input[name='code']").fill(totp_code(totp_secret))
        page.locator("main").get_by_role("button").first.click()
        page.wait_for_url(re.compile(r"^(?!.*/accounts/2fa/).*$"))


# No HTMX request in flight, being swapped in or settling: the panels a page loads after it loaded are in place.
HTMX_SETTLED = (
    "() => document.readyState === 'complete'"
    " && !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
)


def goto_settled(page, url: str):
    """Open ``url`` and wait until the panels HTMX loads into the page have arrived. A click before then can land
    where a panel is about to push the link away (a reader's profile page loads its panels after the page; the
    dashboards render theirs with the page, and test_dashboard_stability.py keeps them still)."""
    response = page.goto(url)
    page.wait_for_function(HTMX_SETTLED, polling="raf")
    return response


def posts_to(page, url: str) -> list[str]:
    """A list that fills with ``url`` each time ``page`` sends a POST to it, for the whole test: a dismissed
    confirmation is shown to send nothing by counting the POSTs at the end, not by waiting a while."""
    posts: list[str] = []
    page.on(
        "request",
        lambda request: posts.append(request.url) if request.method == "POST" and request.url == url else None,
    )
    return posts


def sign_in_with_session(page, base_url: str, user) -> None:
    """Sign ``user`` in by giving the browser a real session cookie, without the login and TOTP forms.

    For tests that are not about signing in: an admin with TOTP gets in at once, with no wait for a fresh TOTP
    window. The session is an ordinary Django session (as after a password and TOTP sign-in), so every view
    sees the user exactly as it would after the forms; the sign-in forms themselves are the site journey's."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": base_url}])


# WebSockets to any host but this machine's (Agora's gateways): the voice/video pages route them to a close.
EXTERNAL_WS = re.compile(r"^wss?://(?!127\.0\.0\.1|localhost)")


def rtc_page(new_page, base_url: str, user, **context_options):
    """A page signed in as ``user`` whose WebSockets to other hosts are answered here and closed (HTTP to other
    hosts is already refused by the browser fixture), for the pages that load the Agora SDKs."""
    page = new_page(**context_options)
    page.context.route_web_socket(EXTERNAL_WS, lambda ws: ws.close())
    sign_in_with_session(page, base_url, user)
    return page


def foreign_scripts(script_urls: list[str], base_url: str) -> list[str]:
    """The scripts not from the page's own origin. A blob: URL an SDK makes for its worker
    (blob:http://host:port/<uuid>) is of the page's own origin."""
    own = urlparse(base_url).netloc
    return [url for url in script_urls if urlparse(url.removeprefix("blob:")).netloc != own]


def eventually(condition, timeout: float = 5.0) -> bool:
    """Whether ``condition()`` holds within ``timeout`` seconds (for what the browser reports to the server)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return bool(condition())


@pytest.fixture
def stripe_server(settings):
    """The local server speaking Stripe's API, with the SDK and the webhook secret pointed at it."""
    from apps.wallet.tests.stripe_server import API_KEY, WEBHOOK_SECRET, running_stripe_server

    with running_stripe_server() as server:
        settings.STRIPE_SECRET_KEY = API_KEY
        settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
        settings.STRIPE_API_BASE = server.base_url
        yield server


def post_signed_webhook(url: str, event: dict) -> int:
    """POST ``event`` to our webhook endpoint signed exactly as Stripe signs it; returns the HTTP status."""
    from apps.wallet.tests.stripe_server import sign

    body = json.dumps(event)
    request = urllib.request.Request(
        url,
        data=body.encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Stripe-Signature": sign(body)},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status
