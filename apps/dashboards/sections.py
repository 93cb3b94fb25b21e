"""The sections of each role's dashboard. Apps add their own sections here when they ship.

A section is either
- an include: ``template`` rendered on the server with the dict returned by ``context`` (a dotted path to a
  function ``(request) -> dict``; it should call the owning app's selectors), or
- a panel: ``panel_url_name`` is fetched with HTMX once the page has loaded (``hx-trigger="load"``) and must
  answer an HTML fragment; ``fallback_url_name`` is the full page linked for people without JavaScript.

Either way the dashboard draws the section's card and its <h2> (``title``); an include or a panel renders
only the body, starting below that heading (use <h3> inside if it needs sub-headings).

Sections appear in list order. Nothing here may show invented numbers: a section that has nothing to show
renders an empty state.
"""

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    template: str = ""
    context: str = ""
    panel_url_name: str = ""
    fallback_url_name: str = ""
    wide: bool = False

    def __post_init__(self) -> None:
        if bool(self.template) == bool(self.panel_url_name):
            raise ValueError(f"Dashboard section {self.key!r} needs exactly one of template or panel_url_name.")


@dataclass(frozen=True)
class BoundSection:
    section: Section
    context: dict[str, Any]
    panel_url: str = ""
    fallback_url: str = ""

    @property
    def heading_id(self) -> str:
        return f"section-{self.section.key}-heading"


CLIENT_SECTIONS: list[Section] = [
    Section("account", "Your account", template="dashboards/sections/_account.html"),
    Section(
        "become-reader",
        "Read on SoulSeer",
        template="dashboards/sections/_reader_application.html",
        context="apps.dashboards.contexts.reader_application",
    ),
    Section(
        "favorites", "Favorite readers", panel_url_name="readers:favorites_panel", fallback_url_name="readers:favorites"
    ),
    Section("wallet", "Wallet", panel_url_name="wallet:dashboard_panel", fallback_url_name="wallet:home"),
    Section(
        "readings",
        "Your readings",
        panel_url_name="livesessions:recent_panel",
        fallback_url_name="livesessions:history",
    ),
]

READER_SECTIONS: list[Section] = [
    Section(
        "reader-status",
        "Your status and profile",
        panel_url_name="readers:dashboard_profile_panel",
        fallback_url_name="readers:dashboard_profile",
    ),
    Section(
        "reading-requests",
        "Reading requests",
        panel_url_name="livesessions:incoming_panel",
        fallback_url_name="livesessions:history",
    ),
    Section(
        "readings",
        "Your readings",
        panel_url_name="livesessions:recent_panel",
        fallback_url_name="livesessions:history",
    ),
    Section(
        "security",
        "Account security",
        template="dashboards/sections/_security.html",
        context="apps.dashboards.contexts.security",
    ),
    Section("account", "Your account", template="dashboards/sections/_account.html"),
]

ADMIN_SECTIONS: list[Section] = [
    Section(
        "reader-applications",
        "Reader applications",
        template="dashboards/sections/_admin_applications.html",
        context="apps.dashboards.contexts.admin_applications",
    ),
    Section(
        "support-tickets",
        "Support tickets",
        panel_url_name="staff_pages:ticket_panel",
        fallback_url_name="staff_pages:ticket_list",
    ),
    Section(
        "ledger",
        "Ledger check",
        panel_url_name="staff_wallet:ledger_check_panel",
        fallback_url_name="staff_wallet:index",
    ),
    Section(
        "card-payments",
        "Card payments",
        panel_url_name="staff_wallet:stripe_panel",
        fallback_url_name="staff_wallet:refunds",
    ),
    Section("admin-tools", "Administration", template="dashboards/sections/_admin_tools.html"),
]


def sections_bind(request: HttpRequest, sections: list[Section]) -> list[BoundSection]:
    """Resolve each section's context or URLs for this request."""
    bound = []
    for section in sections:
        context = import_string(section.context)(request) if section.context else {}
        bound.append(
            BoundSection(
                section=section,
                context=context,
                panel_url=reverse(section.panel_url_name) if section.panel_url_name else "",
                fallback_url=reverse(section.fallback_url_name) if section.fallback_url_name else "",
            )
        )
    return bound
