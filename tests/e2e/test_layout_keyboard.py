"""Phones first and keyboards first, in a real browser, for every page a visitor, client, reader and admin
can reach from the navigation, at 390×844 (a phone) and 1280×800 (a laptop):

- nothing scrolls sideways (``scrollWidth <= innerWidth``), axe-core finds no serious or critical violation,
  and every entry of the navigation can be reached with the Tab key (menus opened with Enter);
- walking each page with Tab from its top and then Shift+Tab from its end, no focused control is hidden under
  the sticky header (a control taller than the room under it, a long table's scroll region, shows its lower part
  when reached from below), and each shows a focus indicator that differs from its unfocused look by at least
  3:1 (WCAG 2.4.7, 2.4.11, 1.4.11);
- the favorite and "notify me when online" toggles keep focus on the new button and announce the change;
- the header holds every section of the spec (with Live, Shop and Community added) on one line.
"""

import hashlib
import importlib
import json
import os
import re
from pathlib import Path

import pytest
from django.urls import reverse

from apps.accounts.tests.factories import AdminFactory, UserFactory
from apps.messaging.tests.factories import conversation_with, fund_wallet, listed_reader
from tests.e2e.conftest import assert_axe_clean, goto_settled, sign_in_with_session

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1280, "height": 800}}
ROLES = ("visitor", "client", "reader", "admin")

# Pages that are not ours to lay out (Django's admin, the API docs) or that act rather than show.
SKIPPED_PATHS = re.compile(r"^/(admin|api)/|/logout/$")

# Colour of a CSS colour string as [r, g, b, a] (0-255, alpha 0-1), whatever notation the browser computed.
JS_HELPERS = """
window.__kb = (() => {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 1;
  const ctx = canvas.getContext("2d", {willReadFrequently: true});
  // A CSS colour as [r, g, b, a], drawn once per distinct colour (a page has few; a walk asks thousands of times).
  const parsed = new Map();
  const rgba = (color) => {
    if (!parsed.has(color)) {
      ctx.clearRect(0, 0, 1, 1);
      ctx.fillStyle = "rgba(0,0,0,0)";
      ctx.fillStyle = color;
      ctx.fillRect(0, 0, 1, 1);
      const d = ctx.getImageData(0, 0, 1, 1).data;
      parsed.set(color, [d[0], d[1], d[2], d[3] / 255]);
    }
    return parsed.get(color);
  };
  const over = (top, bottom) => {
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat([1]);
  };
  const luminance = (c) => {
    const [r, g, b] = c.slice(0, 3).map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const contrast = (a, b) => {
    const [l1, l2] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (l1 + 0.05) / (l2 + 0.05);
  };
  // The solid colour behind an element: its ancestors' backgrounds composed over the page canvas.
  const behind = (el) => {
    const layers = [];
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      layers.push(rgba(getComputedStyle(node).backgroundColor));
    }
    let color = rgba(getComputedStyle(document.documentElement).backgroundColor);
    if (color[3] < 1) color = over(color, [255, 255, 255, 1]);
    for (const layer of layers.reverse()) if (layer[3] > 0) color = over(layer, color);
    return color;
  };
  const look = (el) => {
    const s = getComputedStyle(el);
    return {
      outlineStyle: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth) || 0, outlineColor: s.outlineColor,
      boxShadow: s.boxShadow, borderColor: s.borderTopColor, borderWidth: parseFloat(s.borderTopWidth) || 0,
      background: s.backgroundColor,
    };
  };
  const shadows = (value) => (value === "none" ? [] : value.split(/,(?![^(]*\\))/).map((part) => {
    const color = (part.match(/(rgba?|color|oklab|oklch|lab|lch|hsla?)\\([^)]*\\)/) || ["transparent"])[0];
    const lengths = part.replace(color, "").trim().split(/\\s+/).filter((v) => v.endsWith("px")).map(parseFloat);
    return {color, spread: lengths[3] || 0, blur: lengths[2] || 0, inset: /inset/.test(part)};
  }));
  const describe = (el) => {
    const label = (el.getAttribute("aria-label") || el.textContent || el.name || el.id || "").trim();
    return `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""} "${label.slice(0, 40)}"`;
  };
  // Checks the focused element; returns a problem description or null.
  let checked = null;
  const check = (again = false) => {
    const el = document.activeElement;
    if (!el || el === document.body || el === document.documentElement) return {done: true};
    // Still the control checked last: Tab went to its next part (a date input's day, month, year). Checking it
    // again would blur and focus it, which puts Tab back on its first part.
    if (el === checked && !again) return {same: true};
    checked = el;
    const header = document.querySelector("[data-site-header]");
    const rect = el.getBoundingClientRect();
    const problems = [];
    if (header && !header.contains(el)) {
      // What is painted at the control's top edge and at its centre: the header there means it covers it.
      const x = Math.min(Math.max(rect.left + rect.width / 2, 0), innerWidth - 1);
      const below = header.getBoundingClientRect().bottom;
      if (rect.height <= innerHeight - below) {
        const points = [rect.top + 2, rect.top + rect.height / 2].filter((y) => y >= 0 && y < innerHeight);
        if (points.some((y) => header.contains(document.elementFromPoint(x, y)))) {
          problems.push(`covered by the header (top ${Math.round(rect.top)})`);
        }
      } else if (rect.bottom <= below + 2 || rect.top >= innerHeight - 2) {
        // Taller than the room under the header (a long table's scroll region): reached from below, the browser
        // shows its lower part, as it must not be hidden entirely (WCAG 2.4.11); both edges cannot be in view.
        problems.push(`hidden: ${Math.round(rect.height)} px tall, top ${Math.round(rect.top)}`);
      }
    }
    const focused = look(el);
    el.blur();
    const unfocused = look(el);
    const away = el.getBoundingClientRect();
    el.focus({preventScroll: true});
    // A control that only shows while focused (the skip link) is its own indicator.
    if (away.bottom <= 0 || away.right <= 0 || away.width <= 1 || away.height <= 1) {
      return {key: describe(el) + "@shown-on-focus", what: describe(el), problems};
    }
    const bg = behind(el.parentElement || el);
    let ratio = 0;
    let how = "none";
    if (focused.outlineStyle !== "none" && focused.outlineWidth >= 2 &&
        (unfocused.outlineStyle === "none" || unfocused.outlineColor !== focused.outlineColor)) {
      ratio = contrast(over(rgba(focused.outlineColor), bg), bg);
      how = "outline";
    }
    if (ratio < 3 && focused.boxShadow !== unfocused.boxShadow) {
      for (const shadow of shadows(focused.boxShadow)) {
        if (shadow.spread >= 2 || (shadow.inset && shadow.spread >= 0 && shadow.blur === 0)) {
          const r = contrast(over(rgba(shadow.color), bg), bg);
          if (r > ratio) [ratio, how] = [r, "box-shadow"];
        }
      }
    }
    if (ratio < 3 && focused.borderColor !== unfocused.borderColor && focused.borderWidth >= 2) {
      const r = contrast(over(rgba(focused.borderColor), bg), over(rgba(unfocused.borderColor), bg));
      if (r > ratio) [ratio, how] = [r, "border"];
    }
    if (ratio < 3) problems.push(`focus indicator ${how} only ${ratio.toFixed(2)}:1`);
    return {key: describe(el) + "@" + Math.round(rect.left) + "," + Math.round(rect.top + scrollY),
            what: describe(el), inHeader: !!header && header.contains(el), problems};
  };
  // Nothing focused, and the next Tab goes to the first control (fromEnd: the next Shift+Tab to the last one),
  // as on a page just loaded (blur() alone keeps the place Tab goes on from).
  const restart = (atEnd) => {
    checked = null;
    const mark = document.createElement("span");
    mark.tabIndex = -1;
    mark.style.position = "absolute";
    if (atEnd) document.body.append(mark);
    else document.body.prepend(mark);
    mark.focus({preventScroll: true});
    mark.blur();
    mark.remove();
  };
  // Focus at <main>, where the skip link leads: Tab goes on from there.
  const fromMain = () => {
    checked = null;
    document.getElementById("main").focus();
  };
  return {check, fromTop: () => restart(false), fromEnd: () => restart(true), fromMain};
})();
"""


@pytest.fixture
def cast(settings, tmp_path):
    """A client, a reader with a published profile, an admin with TOTP, a conversation, some money and the
    published policies: enough that every page shows what it shows in use."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.apps import apps

    settings.MEDIA_ROOT = tmp_path / "media"
    importlib.import_module("apps.pages.migrations.0002_initial_policies").create_policies(apps, None)
    reader = listed_reader(display_name="Vega Starling")
    client = UserFactory(email="seeker@example.com", display_name="Morgan")
    admin = AdminFactory(email="keeper@example.com", display_name="Keeper")
    TOTP.activate(admin, generate_totp_secret())
    fund_wallet(client, __import__("decimal").Decimal("25.00"))
    conversation_with(client=client, reader=reader.user)
    return {
        "visitor": None,
        "client": client,
        "reader": reader.user,
        "admin": admin,
        "reader_profile": reader,
    }


def _signed_in_page(new_page, live_server, cast, role: str):
    page = new_page(color_scheme="dark", reduced_motion="reduce", viewport=VIEWPORTS["laptop"])
    page.context.add_init_script(JS_HELPERS)
    if cast[role]:
        sign_in_with_session(page, live_server.url, cast[role])
    return page


def _pages(page, base: str, role: str, cast) -> list[str]:
    """Every page the navigation leads this role to (header, account menu, footer), and the pages one step
    further that people use most: a reader's profile, the sign-in pages, the staff tools."""
    page.goto(base + reverse("pages:home"))
    hrefs = page.eval_on_selector_all("header a[href], footer a[href]", "links => links.map(a => a.pathname)")
    profile = reverse("readers:profile", args=[cast["reader_profile"].pk])
    extra = {
        "visitor": [reverse("account_login"), reverse("account_signup"), reverse("account_reset_password"), profile],
        "client": [profile, reverse("readers:favorites"), reverse("wallet:topup")],
        "reader": [reverse("readers:dashboard_profile"), profile],
        "admin": [],
    }[role]
    if role == "admin":
        page.goto(base + reverse("dashboards:home"))
        extra += page.eval_on_selector_all("main a[href^='/staff/']", "links => links.map(a => a.pathname)")
    if role in ("client", "reader"):
        page.goto(base + reverse("messaging:inbox"))
        # the first conversation (and, for a client, the page that starts one)
        conversations = page.eval_on_selector_all("main a[id^='conversation-link-']", "as => as.map(a => a.pathname)")
        assert conversations, "the inbox lists no conversation"
        extra += conversations[:1] + ([reverse("messaging:find_reader")] if role == "client" else [])
    return [href for href in dict.fromkeys(hrefs + extra) if not SKIPPED_PATHS.search(href)]


WIDTH_JS = """() => {
  const inner = window.innerWidth;
  const scroll = document.documentElement.scrollWidth;
  // The outermost elements that stick out on the right: what to fix when the page scrolls sideways.
  const culprits = [];
  if (scroll > inner) {
    for (const el of document.body.querySelectorAll("*")) {
      if (el.getBoundingClientRect().right > inner + 1 && !culprits.some((c) => c.contains(el))) {
        const parent = el.parentElement;
        if (parent && parent.getBoundingClientRect().right <= inner + 1) {
          culprits.push(el);
        }
      }
    }
  }
  return {scroll, inner, culprits: culprits.slice(0, 5).map((el) => el.outerHTML.slice(0, 160))};
}"""


# Buttons, menu entries and fields: at least 44 px tall, to be used one-handed on a phone (links in running
# text and checkboxes with their labels are exempt).
SMALL_TARGETS_JS = """() => [...document.querySelectorAll(
    "button, .btn, .nav-link, .account-nav a, .pagination a, select, textarea, " +
    "input:not([type=checkbox]):not([type=radio]):not([type=hidden])")]
  .filter((el) => !el.closest(".hp-field, .visually-hidden") && el.getClientRects().length)
  .map((el) => [el, el.getBoundingClientRect()])
  .filter(([el, rect]) => rect.width > 1 && rect.height < 43.5)
  .map(([el, rect]) => `${el.outerHTML.slice(0, 100)} is ${Math.round(rect.height)} px tall`)
"""


def _assert_fits(page, url: str, size: str) -> None:
    _assert_fits_measured(page.evaluate(WIDTH_JS), url, size)


def _assert_fits_measured(widths: dict, url: str, size: str) -> None:
    assert widths["scroll"] <= widths["inner"], f"{url} at {size} is {widths['scroll']} px wide: {widths['culprits']}"


def _open(page, url: str) -> None:
    response = goto_settled(page, url)
    assert response is not None and response.status == 200, f"{url} answered {response and response.status}"


def _tab_through_header(page) -> set[str]:
    """Tab from the top of the page through the header, opening every closed menu with Enter; returns the
    paths of the links that took focus."""
    page.evaluate("window.__kb.fromTop(); window.scrollTo(0, 0)")
    reached: set[str] = set()
    for _ in range(80):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => {
              const el = document.activeElement;
              const header = document.querySelector('[data-site-header]');
              return {
                inHeader: !!el && header.contains(el),
                skip: !!el && el.classList.contains('skip-link'),
                href: el && el.tagName === 'A' ? el.pathname : null,
                closedMenu: !!el && el.hasAttribute('data-disclosure') && el.getAttribute('aria-expanded') === 'false',
              };
            }"""
        )
        if focused["skip"]:
            continue
        if not focused["inHeader"]:
            break
        if focused["href"]:
            reached.add(focused["href"])
        if focused["closedMenu"]:
            page.keyboard.press("Enter")
    return reached


CHECK_AFTER_TWO_FRAMES_JS = """() => new Promise((resolve) =>
  requestAnimationFrame(() => requestAnimationFrame(() => resolve(window.__kb.check(true)))))"""


def _walk(page, key: str, *, header: bool) -> list[str]:
    """Press ``key`` until focus leaves the page (or comes round again); with ``header=False`` the walk
    stops at the header, which is the same on every page and walked on the first one."""
    problems: list[str] = []
    seen: set[str] = set()
    for _ in range(250):
        page.keyboard.press(key)
        result = page.evaluate("window.__kb.check()")
        if result.get("same"):
            continue  # the next part of the same control (a date input's day, month and year)
        if result.get("done") or result["key"] in seen or (result.get("inHeader") and not header):
            break
        seen.add(result["key"])
        if result["problems"]:
            # Measured again two frames later: a date input reached from below (Shift+Tab lands on its last part)
            # draws its focus ring only in the next frame; a real problem is still there the second time.
            result = page.evaluate(CHECK_AFTER_TWO_FRAMES_JS)
        problems += [f"{result['what']}: {problem}" for problem in result.get("problems", [])]
    else:
        pytest.fail(f"{page.url}: {key} never left the page (reached: {sorted(seen)})")
    return problems


# What the walks below the header depend on: the page's attributes, everything in <body> but the header, the
# header's box and the window's size. Two pages alike in all of these are walked alike, key for key. The CSRF
# tokens, masked anew in every response, and the machine-readable times behind the dates shown are left out.
WALKED_PAGE_JS = """() => {
  const body = document.body.cloneNode(true);
  body.removeAttribute("hx-headers");
  const header = body.querySelector("[data-site-header]");
  if (header) header.replaceWith(JSON.stringify(document.querySelector("[data-site-header]").getBoundingClientRect()));
  const root = [...document.documentElement.attributes].map((a) => `${a.name}=${a.value}`).join(" ");
  return [root, innerWidth, innerHeight, body.outerHTML].join("\\n");
}"""
UNSEEN_VALUES = re.compile(r'(name="csrfmiddlewaretoken" value=|"X-CSRFToken": ?| datetime=)"[^"]*"')


@pytest.fixture(scope="session")
def walked(tmp_path_factory) -> Path:
    """Where the problems each walked page showed are kept, by what its walks depend on (WALKED_PAGE_JS): a folder
    of this run shared by its workers (each worker's own folder is in it), so a page that is the same for several
    roles (the help pages, a sign-in form) is walked once per run, whichever worker's test comes to it first."""
    base = tmp_path_factory.getbasetemp()
    folder = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "layout-walks"
    folder.mkdir(exist_ok=True)
    return folder


def _walks(page, walked: Path, *, first: bool) -> tuple[list[str], list[str]]:
    """The problems of a walk with Tab from the top (or from <main>, where the skip link leads, past the header)
    and of a walk with Shift+Tab from the end. A page whose walks depend on nothing another page's did not (its
    body but the header, the header's box, the window's size) has the same problems, found once."""
    kept = None
    if not first:
        page_key = UNSEEN_VALUES.sub(r"\1-", page.evaluate(WALKED_PAGE_JS))
        kept = walked / f"{hashlib.sha256(page_key.encode()).hexdigest()}.json"
        if kept.exists():
            forwards, backwards = json.loads(kept.read_text())
            return forwards, backwards
    start = "window.__kb.fromTop()" if first else "window.__kb.fromMain()"
    page.evaluate(f"window.scrollTo(0, 0); {start}")
    forwards = _walk(page, "Tab", header=first)
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight); window.__kb.fromEnd()")
    backwards = _walk(page, "Shift+Tab", header=first)
    if kept is not None:
        # Written whole, then renamed: a worker reading it at the same moment sees all of it or nothing.
        partial = kept.with_suffix(f".{os.getpid()}")
        partial.write_text(json.dumps([forwards, backwards]))
        partial.replace(kept)
    return forwards, backwards


# After a resize: nothing focused (and Tab starts from the top, as on a page just loaded), at the top, and
# three frames drawn at the new width: the resize event and what it schedules for the next frame
# (scroll-regions.js), then the ResizeObserver callbacks after layout and the frame they schedule (Chart.js
# redrawing at the new size).
RESIZED_JS = """(width) => new Promise((resolve) => {
  window.__kb.fromTop();
  window.scrollTo(0, 0);
  const frames = (n) => requestAnimationFrame(() => (n ? frames(n - 1) : resolve()));
  const resized = () => requestAnimationFrame(() => (innerWidth === width ? frames(2) : resized()));
  resized();
})"""

# What is measured of each page at each width: whether it scrolls sideways (WIDTH_JS), its small targets
# (SMALL_TARGETS_JS) and its navigation, in one round trip.
LOOK_JS = f"""() => ({{
  widths: ({WIDTH_JS})(),
  small: ({SMALL_TARGETS_JS})(),
  nav: [...document.querySelectorAll("header nav a[href]")].map((a) => a.pathname),
}})"""


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", ROLES)
def test_every_page_fits_a_phone_and_a_laptop_is_axe_clean_and_keyboard_usable(
    live_server, new_page, cast, walked, role
):
    """Each page is loaded once, on a phone, checked, then resized to a laptop's width and checked again: the
    same as loading it again at that width, because
    - no script of ours reads the width once at load: the only ones that read sizes (scroll-regions.js, Chart.js
      on the staff analytics) react to resizes, and CSS does by itself;
    - the laptop's checks wait until the resize has been drawn and reacted to (RESIZED_JS) and start where a new
      load would: nothing focused, Tab starting from the top, at the top of the page, menus closed (the phone's
      checks close them).
    This halves the page loads. The walks' helpers are added to every page before its scripts run, and the fit,
    small targets and navigation of a page are read in one round trip. A page that another role's test in this
    run already walked, alike in all that the walks depend on (``_walks``), is not walked again: its problems
    are the ones found then. The help pages, policies and forms shared by every role are so walked once."""
    # given
    base = live_server.url
    page = _signed_in_page(new_page, live_server, cast, role)
    urls = _pages(page, base, role, cast)
    assert reverse("pages:help") in urls
    if role != "visitor":
        assert reverse("dashboards:home") in urls and reverse("accounts:settings") in urls
    first_nav: dict[str, list[str]] = {}
    focus_problems: list[str] = []
    for url in urls:
        for size, viewport in VIEWPORTS.items():
            # when: loaded on a phone, then turned into a laptop
            page.set_viewport_size(viewport)
            if size == "phone":
                _open(page, base + url)
            else:
                page.evaluate(RESIZED_JS, viewport["width"])
            # then: nothing scrolls sideways
            look = page.evaluate(LOOK_JS)
            _assert_fits_measured(look["widths"], url, size)
            assert not look["small"], f"{url} at {size}: targets under 44 px:\n" + "\n".join(look["small"])
            assert_axe_clean(page)
            # and every navigation entry takes focus from the keyboard: walked on the first page of each size;
            # every other page has the very same navigation
            nav = look["nav"]
            first = url == urls[0]
            if not first:
                assert nav == first_nav[size], f"{url} at {size} has another navigation than {urls[0]}"
            else:
                first_nav[size] = nav
                missing = set(nav) - _tab_through_header(page)
                assert not missing, f"{url} at {size}: not reachable by Tab: {sorted(missing)}"
                # and the menus opened on the way closed when focus left them
                still_open = page.eval_on_selector_all('[data-disclosure][aria-expanded="true"]', "els => els.length")
                assert still_open == 0, f"{url} at {size}: a menu stayed open after focus left it"
                # and an open menu does not widen the page either
                page.evaluate(
                    "document.querySelectorAll('[data-disclosure]').forEach(b => b.offsetParent && b.click())"
                )
                _assert_fits(page, url, f"{size} with its menu open")
                page.keyboard.press("Escape")
            # and walking the page with Tab from the top, then with Shift+Tab from the end, every focused control
            # is clear of the header and shows its focus (the header itself only on the first page of each size:
            # after it, Tab starts where the skip link leads)
            forwards, backwards = _walks(page, walked, first=first)
            focus_problems += [f"{url} {size} Tab: {p}" for p in forwards]
            focus_problems += [f"{url} {size} Shift+Tab: {p}" for p in backwards]
    assert not focus_problems, "\n".join(dict.fromkeys(focus_problems))


@pytest.mark.django_db(transaction=True)
def test_favorite_and_online_alert_toggles_keep_focus_and_announce_the_change(live_server, new_page, cast):
    # given: a client on a reader's profile, using the keyboard
    base = live_server.url
    page = _signed_in_page(new_page, live_server, cast, "client")
    reader = cast["reader_profile"]
    _open(page, base + reverse("readers:profile", args=[reader.pk]))
    announcer = page.locator("#live-announcer")
    for name, then_name, announced in (
        ("Add to favorites", "Favorite", "is in your favorites"),
        ("Notify me when online", f"You will be told when {reader.display_name} comes online", "will be told"),
        ("Favorite", "Add to favorites", "is no longer in your favorites"),
    ):
        page.get_by_role("button", name=name, exact=True).focus()
        # when
        page.keyboard.press("Enter")
        # then: the new button has focus and the change is announced
        page.get_by_role("button", name=then_name, exact=True).wait_for()
        page.wait_for_function(
            "name => document.activeElement && document.activeElement.textContent.replace(/\\s+/g, ' ').includes(name)",
            arg=then_name,
        )
        page.wait_for_function(
            "text => document.getElementById('live-announcer').textContent.includes(text)", arg=announced
        )
        assert announced in announcer.inner_text()


@pytest.mark.django_db(transaction=True)
def test_header_holds_every_section_of_the_spec_on_one_line(live_server, new_page, cast, monkeypatch):
    # given: Live, Shop and Community in the navigation (stand-ins for those not shipped yet), and a long name
    from apps.core import context_processors
    from apps.core.navigation import MAIN_NAV, NavItem

    sections = list(MAIN_NAV)
    help_at = next(i for i, item in enumerate(sections) if item.url_name == "pages:help")
    shipped = {item.label for item in sections}
    stand_ins = [NavItem(label, "pages:about") for label in ("Live", "Shop", "Community") if label not in shipped]
    monkeypatch.setattr(context_processors, "MAIN_NAV", sections[:help_at] + stand_ins + sections[help_at:])
    base = live_server.url
    page = _signed_in_page(new_page, live_server, cast, "client")
    for width in (1024, 1280, 1440):
        # when
        page.set_viewport_size({"width": width, "height": 800})
        _open(page, base + reverse("pages:home"))
        # then: every section is in one row of the header, which keeps its height
        layout = page.evaluate(
            """() => ({
              tops: [...document.querySelectorAll('.nav-sections a')]
                .map(a => Math.round(a.getBoundingClientRect().top)),
              labels: [...document.querySelectorAll('.nav-sections a')].map(a => a.textContent.trim()),
              header: document.querySelector('[data-site-header]').getBoundingClientRect().height,
              scroll: document.documentElement.scrollWidth,
            })"""
        )
        assert {"Home", "Readers", "Live", "Shop", "Community", "Help"} <= set(layout["labels"])
        assert len(set(layout["tops"])) == 1, f"the sections wrap at {width} px: {layout}"
        assert layout["header"] <= 73, f"the header grows to {layout['header']} px at {width} px"
        assert layout["scroll"] <= width
    # and at 320 px (a small phone, or 1280 px at 400% zoom) the header still fits, signed in and out
    visitor = new_page(color_scheme="dark", reduced_motion="reduce", viewport={"width": 320, "height": 640})
    for who in (page, visitor):
        who.set_viewport_size({"width": 320, "height": 640})
        for url in (reverse("pages:home"), reverse("readers:directory"), reverse("pages:help")):
            _open(who, base + url)
            _assert_fits(who, url, "320 px")
