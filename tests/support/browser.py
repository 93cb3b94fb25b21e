"""The browser fixtures shared by the e2e and the attack tests: one Playwright and one Chromium per test process.

Playwright's sync API runs its own event loop in this thread and refuses to start a second one, so these fixtures
must be defined once (this plugin, loaded by the root ``conftest.py``), never imported into another conftest.
"""

import os

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # The seed's brand images are on an external host this machine cannot reach: every other host fails at
    # once, so the pages' fallbacks are what the tests see. (Done here rather than with Playwright's request
    # routing, which turns the browser's HTTP cache off.)
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _cache_static_files() -> None:
    """Let the browser keep the static files the live server sends for an hour, as production's WhiteNoise
    lets it: Django's test handler sends them without ``Cache-Control``, so every page of a journey fetched its
    stylesheet, fonts and scripts again through the one Python process that also drives the browser. Each test's
    browser context starts with an empty cache, so no test sees another's files."""
    from django.contrib.staticfiles.handlers import StaticFilesHandlerMixin

    serve = StaticFilesHandlerMixin.serve

    def serve_cached(self, request):
        response = serve(self, request)
        if response.status_code == 200:
            response["Cache-Control"] = "max-age=3600"
        return response

    StaticFilesHandlerMixin.serve = serve_cached  # type: ignore[method-assign]


_cache_static_files()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import expect, sync_playwright

    # Assertions wait as long as actions do (each context's default below): on a loaded machine a server answer
    # can take longer than expect's own 5 s, and a journey should not fail for it.
    expect.set_options(timeout=10_000)

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
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()
