"""Each role's dashboard stays still while it loads: with rows in every section, at a phone's and a laptop's
width, over a connection with a phone's latency, the cumulative layout shift Chromium reports stays under 0.1
(the "good" threshold of Core Web Vitals), both for a person who waits at the top and for one who scrolls down
at once, so a click lands on what the person aimed at; and the page is axe-clean once loaded.

Before the panels were rendered with the page, the scrolling person saw up to 0.97 (client, phone)."""

import pytest
from django.urls import reverse

from apps.dashboards.tests.helpers import dashboard_cast, dashboard_rows_add
from tests.e2e.conftest import HTMX_SETTLED, assert_axe_clean, sign_in_with_session

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1280, "height": 800}}
GOOD_CLS = 0.1

# Layout shifts not caused by the person (a shift right after an input is expected), summed over the whole load.
# The observer is buffered, so it also receives the shifts that happened before it was created.
CLS_JS = """() => new Promise((resolve) => {
  let total = 0;
  const sources = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.hadRecentInput) continue;
      total += entry.value;
      for (const source of entry.sources || []) {
        const node = source.node;
        const where = node && node.closest ? node.closest('[data-section]') : null;
        sources.push(`${entry.value.toFixed(4)} ${where ? where.dataset.section : (node ? node.nodeName : '?')}`);
      }
    }
  }).observe({type: 'layout-shift', buffered: true});
  setTimeout(() => resolve({total, sources}), 300);
})"""

# A phone's round trip to the site: on the test's own machine every answer comes back at once, and a panel
# that arrives within the first frame moves nothing anyone could see.
LATENCY_MS = 150


def dashboard_layout_shift(page, url: str, *, scroll: bool = False) -> dict:
    """Open ``url`` over a connection with a phone's latency, let every section arrive, then read the cumulative
    layout shift of the load. With ``scroll``, the person scrolls down as soon as the page shows (a wheel is no
    input that excuses a shift), to where the sections further down are."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": LATENCY_MS, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    page.goto(url, wait_until="domcontentloaded")
    if scroll:
        page.mouse.move(10, 200)
        page.mouse.wheel(0, page.viewport_size["height"])
    page.wait_for_function(HTMX_SETTLED, polling=50)
    page.wait_for_timeout(700)  # a panel swapped in late, or a font, would still move the page now
    return page.evaluate(CLS_JS)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", ["client", "reader", "admin"])
def test_dashboard_does_not_move_while_it_loads_at_phone_and_laptop_widths(live_server, new_page, role):
    # given: every section of the role's dashboard has rows to show
    cast = dashboard_cast()
    dashboard_rows_add(cast, 6)
    person = {"client": cast.client, "reader": cast.reader, "admin": cast.admin}[role]
    url = live_server.url + reverse(f"dashboards:{role}")
    shifts = {}
    for size, viewport in VIEWPORTS.items():
        for scroll in (False, True):
            page = new_page(viewport=viewport)
            sign_in_with_session(page, live_server.url, person)
            # when
            shifts[f"{size}{', scrolled' if scroll else ''}"] = dashboard_layout_shift(page, url, scroll=scroll)
            # then
            assert_axe_clean(page)
    moved = {where: f"CLS {found['total']:.3f} {found['sources']}" for where, found in shifts.items()}
    assert all(found["total"] < GOOD_CLS for found in shifts.values()), f"{role} dashboard moved: {moved}"
