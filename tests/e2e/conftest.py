"""Browser end-to-end tests: Playwright (Python) driving Debian's Chromium against pytest-django's live server.

Playwright's sync API runs an event loop in this thread, so Django's async-safety check is relaxed for
these tests only.
"""

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser):
    """Factory for isolated pages (own cookies), e.g. a client and a reader side by side."""
    contexts = []

    def make(**context_options):
        # axe-core is injected as an inline script, which our Content-Security-Policy rightly forbids.
        context_options.setdefault("bypass_csp", True)
        context = browser.new_context(**context_options)
        context.set_default_timeout(10_000)
        # The seed's brand images are on an external host this machine cannot reach; fail them fast so
        # the pages' fallbacks are what the tests see.
        context.route(re.compile(r"^https?://(?!127\.0\.0\.1|localhost).*"), lambda route: route.abort())
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core (bundled from npm) in the page and return violations of the given impacts."""
    page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v["impact"] in impacts]


def assert_axe_clean(page) -> None:
    violations = axe_violations(page)
    summary = [f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:5]}" for v in violations]
    assert not violations, f"axe violations on {page.url}:\n" + "\n".join(summary)
