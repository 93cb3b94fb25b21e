"""The main navigation: one entry per section that exists. Each app adds its own entry here when it ships.

``visible_to``: "all" (everyone), "auth" (signed-in users), "staff" (admins only).
The header renders this list; nothing links to a section that does not exist.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    visible_to: str = "all"


MAIN_NAV: list[NavItem] = [
    NavItem("Home", "pages:home"),
    NavItem("About", "pages:about"),
    NavItem("Dashboard", "dashboards:home", visible_to="auth"),
]
