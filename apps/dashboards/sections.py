"""The sections of each role's dashboard: a registry each app adds to from its own ``dashboard.py``.

A section is either
- an include: ``template`` rendered on the server with the dict returned by ``context`` (a dotted path to a
  function ``(request) -> dict``; it should call the owning app's selectors), or
- a panel: ``panel_url_name`` names a view that answers an HTML fragment. Its first content is rendered into
  the page on the server (its view is called with the dashboard's own request), so the page arrives whole and
  nothing moves when the sections arrive one by one; a panel that refreshes itself says so in its own markup
  (``hx-trigger="every 3s"`` on its root, an event), and its refreshes come from the same view. A panel view
  must read a constant number of queries, whatever the rows (the dashboard's tests count them), or the
  dashboard's first response slows down with it. When the view does not answer 200 for this request (refuses,
  or raises a domain error), the dashboard falls back to fetching it with HTMX after the page has loaded
  (``hx-trigger="load"``), with a "Loading…" placeholder and ``fallback_url_name``, the full page, linked.

Either way the dashboard draws the section's card and its <h2> (``title``); an include or a panel renders
only the body, starting below that heading (use <h3> inside if it needs sub-headings).

Sections appear in list order. Nothing here may show invented numbers: a section that has nothing to show
renders an empty state.
"""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import Http404, HttpRequest
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import NoReverseMatch, resolve, reverse
from django.utils.module_loading import import_string
from django.utils.safestring import SafeString, mark_safe

from apps.core.exceptions import DomainError
from apps.core.memo import reads_shared


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
    panel_html: SafeString | None = None

    @property
    def heading_id(self) -> str:
        return f"section-{self.section.key}-heading"


ROLES = ("client", "reader", "admin")


@dataclass(frozen=True)
class _Registered:
    section: Section
    order: int


_REGISTRY: dict[str, dict[str, _Registered]] = {role: {} for role in ROLES}


def dashboard_section_register(*, role: str, section: Section, order: int) -> Section:
    """Add ``section`` to ``role``'s dashboard at ``order`` (lower first). Call it from ``<app>/dashboard.py``.

    Every app's ``dashboard.py`` is imported at start-up (DashboardsConfig.ready); the system check
    ``dashboards.E001`` then proves each section's URL names, template and context exist.
    """
    if role not in ROLES:
        raise ImproperlyConfigured(f"Dashboard section {section.key!r}: unknown role {role!r} (one of {ROLES}).")
    existing = _REGISTRY[role].get(section.key)
    if existing is not None and existing.section != section:
        raise ImproperlyConfigured(f"Two dashboard sections of the {role} dashboard use the key {section.key!r}.")
    _REGISTRY[role][section.key] = _Registered(section=section, order=order)
    return section


def dashboard_sections(role: str) -> list[Section]:
    """The sections of ``role``'s dashboard in display order."""
    entries = sorted(_REGISTRY[role].values(), key=lambda entry: (entry.order, entry.section.key))
    return [entry.section for entry in entries]


def dashboard_section_problems(sections: list[Section]) -> list[str]:
    """What is wrong with these sections: URL names that do not resolve, missing templates, bad contexts."""
    problems = []
    for section in sections:
        for url_name in (section.panel_url_name, section.fallback_url_name):
            if url_name:
                try:
                    reverse(url_name)
                except NoReverseMatch:
                    problems.append(f"section {section.key!r}: URL name {url_name!r} does not resolve")
        if section.template:
            try:
                get_template(section.template)
            except TemplateDoesNotExist:
                problems.append(f"section {section.key!r}: template {section.template!r} does not exist")
        if section.context:
            try:
                import_string(section.context)
            except ImportError:
                problems.append(f"section {section.key!r}: context {section.context!r} cannot be imported")
    return problems


def panel_render(request: HttpRequest, panel_url: str) -> SafeString | None:
    """The fragment the panel's view answers ``request`` with, or None when it answers anything but 200, refuses
    (404, 403) or raises a domain error: the dashboard then loads the panel with HTMX, where the refusal or the
    error gets its standard answer, as before panels were rendered with the page.

    The view is called as the router would call it, decorators included, so the dashboard shows exactly what the
    panel's own URL shows this person, from the one view that also serves its refreshes."""
    match = resolve(panel_url)
    try:
        response = match.func(request, *match.args, **match.kwargs)
        if hasattr(response, "render"):
            response.render()  # a TemplateResponse
    except (DomainError, Http404, PermissionDenied):
        return None
    if response.status_code != 200:
        return None
    # The body our own panel view rendered from its templates, which escaped what it inserted.
    return mark_safe(response.content.decode(response.charset))  # nosec B308 B703 # noqa: S308


def sections_bind(request: HttpRequest, sections: list[Section]) -> list[BoundSection]:
    """Resolve each section's context or URLs for this request, and render each panel's first content. What the
    sections share (the reader's profile, the live reading, the earnings balance) is read once
    (``apps.core.memo``). The one write on the way, a new reader's first profile, follows a read that found
    nothing, and a missing row is never kept."""
    with reads_shared():
        return [_section_bind(request, section) for section in sections]


def _section_bind(request: HttpRequest, section: Section) -> BoundSection:
    context = import_string(section.context)(request) if section.context else {}
    panel_url = reverse(section.panel_url_name) if section.panel_url_name else ""
    return BoundSection(
        section=section,
        context=context,
        panel_url=panel_url,
        fallback_url=reverse(section.fallback_url_name) if section.fallback_url_name else "",
        panel_html=panel_render(request, panel_url) if panel_url else None,
    )
