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

# A timer due within this many milliseconds counts as something still to happen to the page.
SOON_MS = 1000

# Added to every page before its own scripts. Layout shifts are observed from the very start. A shift can only
# come from something still to happen: the page still loading (styles, fonts, images), an HTMX panel in flight or
# being swapped in, any other request in flight, or a timer due soon; so the scripts' timers and requests are
# counted while they are pending, and the test waits for none to be left instead of waiting a fixed time.
STABILITY_JS = f"""(() => {{
  const timers = new Set();
  let requests = 0;
  const setTimeout_ = window.setTimeout;
  const clearTimeout_ = window.clearTimeout;
  window.setTimeout = function (handler, delay, ...args) {{
    if (typeof handler !== "function" || (Number(delay) || 0) > {SOON_MS}) {{
      return setTimeout_.call(window, handler, delay, ...args);
    }}
    const id = setTimeout_.call(window, function (...given) {{
      timers.delete(id);
      return handler.apply(this, given);
    }}, delay, ...args);
    timers.add(id);
    return id;
  }};
  window.clearTimeout = function (id) {{
    timers.delete(id);
    return clearTimeout_.call(window, id);
  }};
  const fetch_ = window.fetch;
  window.fetch = function (...args) {{
    requests++;
    return fetch_.apply(this, args).finally(() => requests--);
  }};
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function (...args) {{
    requests++;
    this.addEventListener("loadend", () => requests--, {{once: true}});
    return send.apply(this, args);
  }};

  // Layout shifts not caused by the person (a shift right after an input is expected), summed over the load.
  let total = 0;
  const sources = [];
  const add = (entries) => {{
    for (const entry of entries) {{
      if (entry.hadRecentInput) continue;
      total += entry.value;
      for (const source of entry.sources || []) {{
        const node = source.node;
        const where = node && node.closest ? node.closest("[data-section]") : null;
        sources.push(`${{entry.value.toFixed(4)}} ${{where ? where.dataset.section : (node ? node.nodeName : "?")}}`);
      }}
    }}
  }};
  const observer = new PerformanceObserver((list) => add(list.getEntries()));
  observer.observe({{type: "layout-shift", buffered: true}});

  window.__stability = {{
    pending: () => timers.size + requests,
    shifts: () => {{
      add(observer.takeRecords());
      return {{total, sources}};
    }},
  }};
}})();"""

# Waits until nothing is left to happen to the page (see STABILITY_JS) for two frames in a row, then returns the
# layout shifts of the whole load; ``settled`` is false if that never came within the time given.
SHIFTS_JS = f"""async (timeoutMs) => {{
  const settled = {HTMX_SETTLED};
  const quiet = () => settled() && document.fonts.status === "loaded" && window.__stability.pending() === 0;
  const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
  const until = performance.now() + timeoutMs;
  let calm = 0;
  while (calm < 2 && performance.now() < until) {{
    await frame();
    calm = quiet() ? calm + 1 : 0;
  }}
  return {{settled: calm >= 2, ...window.__stability.shifts()}};
}}"""

# A phone's round trip to the site: on the test's own machine every answer comes back at once, and a panel
# that arrives within the first frame moves nothing anyone could see.
LATENCY_MS = 150


def dashboard_page(new_page, live_server, person, viewport):
    """A page signed in as ``person`` whose every load goes over a connection with a phone's latency and, as
    for someone who has never been here, without the browser's cache (each load fetches its styles, fonts and
    scripts again, so a font arriving late can move the page as it would on a first visit)."""
    page = new_page(viewport=viewport)
    page.context.add_init_script(STABILITY_JS)
    sign_in_with_session(page, live_server.url, person)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": LATENCY_MS, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    return page


def dashboard_layout_shift(page, url: str, *, scroll: bool = False) -> dict:
    """Open ``url``, let every section arrive and whatever the page still had to do happen, then read the
    cumulative layout shift of the load. With ``scroll``, the person scrolls down as soon as the page shows (a
    wheel is no input that excuses a shift), to where the sections further down are."""
    page.goto(url, wait_until="domcontentloaded")
    if scroll:
        page.mouse.move(10, 200)
        page.mouse.wheel(0, page.viewport_size["height"])
    shifts = page.evaluate(SHIFTS_JS, 10_000)
    assert shifts["settled"], f"{url} still had timers or requests pending after 10 s"
    return shifts


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
        page = dashboard_page(new_page, live_server, person, viewport)
        for scroll in (False, True):
            # when
            shifts[f"{size}{', scrolled' if scroll else ''}"] = dashboard_layout_shift(page, url, scroll=scroll)
        # then: axe-clean once loaded; both loads end in the same page (one of them further down), and axe-core
        # is added after the second so that neither load carries it
        assert_axe_clean(page)
    moved = {where: f"CLS {found['total']:.3f} {found['sources']}" for where, found in shifts.items()}
    assert all(found["total"] < GOOD_CLS for found in shifts.values()), f"{role} dashboard moved: {moved}"
