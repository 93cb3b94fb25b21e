"""The main navigation: one entry per section that exists. Each app adds its own entry here when it ships.

``visible_to``: "all" (everyone), "auth" (signed-in users), "staff" (admins only).
The header renders this list; nothing links to a section that does not exist: an entry whose URL
name does not resolve (yet) is left out rather than linked.
"""

from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse

VISIBLE_TO = ("all", "auth", "staff")


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    visible_to: str = "all"


@dataclass(frozen=True)
class NavLink:
    """A navigation entry resolved for one request."""

    label: str
    url: str
    is_current: bool


MAIN_NAV: list[NavItem] = [
    NavItem("Home", "pages:home"),
    NavItem("Readers", "readers:directory"),
    NavItem("About", "pages:about"),
    NavItem("Dashboard", "dashboards:home", visible_to="auth"),
    NavItem("Readings", "livesessions:history", visible_to="auth"),
    NavItem("Messages", "messaging:inbox", visible_to="auth"),
    NavItem("Wallet", "wallet:home", visible_to="auth"),
    NavItem("Help", "pages:help"),
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


def nav_links(items: list[NavItem], *, user: Any, path: str) -> list[NavLink]:
    """The entries of ``items`` this user may see, with their URLs and which one is the current page."""
    links = []
    for item in items:
        if not _is_visible(item, user):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        links.append(NavLink(label=item.label, url=url, is_current=_is_current(url, path)))
    return links
