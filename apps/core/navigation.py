"""The site's navigation: one entry per section that exists. Each app adds its own entry here when it ships.

``visible_to``: "all" (everyone), "auth" (signed-in users), "staff" (admins only).
``group``: where the header shows the entry. "explore" entries (the site's sections: Home, Readers, About,
Help, and Live, Shop and Community once they ship) sit in the header row on wide screens; "yours" entries
(a signed-in person's own pages: Dashboard, Readings, Messages, Wallet, Notifications) open from the account
menu. On small screens both groups, and the account links, are in the one menu behind the Menu button.

Nothing links to a section that does not exist: an entry whose URL name does not resolve (yet) is left out
rather than linked. A new section is one line in ``MAIN_NAV`` (for example
``NavItem("Live", "live:home")`` before Help); the header is laid out to hold every section of the spec
(Home, Readers, About, Live, Shop, Community, Help) on one line from 1024 px up, and
``tests/e2e/test_layout_keyboard.py`` checks it with all of them in place.
"""

from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.urls import NoReverseMatch, URLResolver, get_resolver, get_script_prefix, get_urlconf, reverse

VISIBLE_TO = ("all", "auth", "staff")
GROUPS = ("explore", "yours")


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    visible_to: str = "all"
    group: str = "explore"

    def __post_init__(self) -> None:
        if self.visible_to not in VISIBLE_TO:
            raise ImproperlyConfigured(f"Navigation entry {self.label!r}: visible_to must be one of {VISIBLE_TO}.")
        if self.group not in GROUPS:
            raise ImproperlyConfigured(f"Navigation entry {self.label!r}: group must be one of {GROUPS}.")


@dataclass(frozen=True)
class NavLink:
    """A navigation entry resolved for one request."""

    label: str
    url: str
    is_current: bool
    group: str = "explore"


MAIN_NAV: list[NavItem] = [
    NavItem("Home", "pages:home"),
    NavItem("Readers", "readers:directory"),
    NavItem("About", "pages:about"),
    NavItem("Live", "live:home"),
    NavItem("Shop", "shop:home"),
    NavItem("Community", "community:home"),
    NavItem("Help", "pages:help"),
    NavItem("Dashboard", "dashboards:home", visible_to="auth", group="yours"),
    NavItem("Readings", "readings:history", visible_to="auth", group="yours"),
    NavItem("Bookings", "scheduling_manage:client_list", visible_to="auth", group="yours"),
    NavItem("Orders", "shop:orders", visible_to="auth", group="yours"),
    NavItem("Messages", "messaging:inbox", visible_to="auth", group="yours"),
    NavItem("Wallet", "wallet:home", visible_to="auth", group="yours"),
    NavItem("Notifications", "notifications:list", visible_to="auth", group="yours"),
]

# The account menu: profile, settings and security pages of the signed-in person.
ACCOUNT_NAV: list[NavItem] = [
    NavItem("Profile and settings", "accounts:settings", visible_to="auth"),
    NavItem("Email addresses", "account_email", visible_to="auth"),
    NavItem("Password", "account_change_password", visible_to="auth"),
    NavItem("Two-factor authentication", "mfa_index", visible_to="auth"),
]

# Footer links: help and policy pages. Names that do not resolve are skipped.
FOOTER_NAV: list[NavItem] = [
    NavItem("About", "pages:about"),
    NavItem("Help Center", "pages:help"),
    NavItem("Terms of Service", "pages:terms"),
    NavItem("Privacy Policy", "pages:privacy"),
    NavItem("Refund Policy", "pages:refunds"),
]


def _is_visible(item: NavItem, user: Any) -> bool:
    if item.visible_to == "all":
        return True
    if not (user is not None and user.is_authenticated):
        return False
    if item.visible_to == "auth":
        return True
    return item.visible_to == "staff" and bool(user.is_staff)


def _is_current(url: str, path: str) -> bool:
    if url == "/":
        return path == "/"
    return path == url or path.startswith(url)


# Each entry's URL (None: its name does not resolve), per URL configuration and script prefix. Every page runs the
# context processor, which looks up about twenty entries; a lookup is a dictionary read instead of a reverse().
# Keyed by the resolver itself: a new URL configuration (``override_settings(ROOT_URLCONF=...)``, a request's own
# ``urlconf``) is a new resolver, so an old answer is never given for it.
_resolved: "WeakKeyDictionary[URLResolver, dict[tuple[str, str], str | None]]" = WeakKeyDictionary()


def _entry_url(url_name: str) -> str | None:
    urls = _resolved.setdefault(get_resolver(get_urlconf()), {})
    key = (get_script_prefix(), url_name)
    if key not in urls:
        try:
            urls[key] = reverse(url_name)
        except NoReverseMatch:
            urls[key] = None
    return urls[key]


def nav_links(items: list[NavItem], *, user: Any, path: str) -> list[NavLink]:
    """The entries of ``items`` this user may see, with their URLs and which one is the current page."""
    links = []
    for item in items:
        if not _is_visible(item, user):
            continue
        url = _entry_url(item.url_name)
        if url is None:
            continue
        links.append(NavLink(label=item.label, url=url, is_current=_is_current(url, path), group=item.group))
    return links


def navigation_problems(items: list[NavItem]) -> list[str]:
    """Entries whose URL name does not resolve: a typo or a section removed without its entry."""
    problems = []
    for item in items:
        try:
            reverse(item.url_name)
        except NoReverseMatch:
            problems.append(f"navigation entry {item.label!r}: URL name {item.url_name!r} does not resolve")
    return problems


def navigation_check(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """System check ``core.E001``: every navigation entry links somewhere (run at start-up and by ``make test``)."""
    return [
        checks.Error(problem, id="core.E001") for problem in navigation_problems([*MAIN_NAV, *ACCOUNT_NAV, *FOOTER_NAV])
    ]
