"""Dashboard sections of the readers app."""

from apps.dashboards.sections import Section, dashboard_section_register

dashboard_section_register(
    role="client",
    order=30,
    section=Section(
        "favorites", "Favorite readers", panel_url_name="readers:favorites_panel", fallback_url_name="readers:favorites"
    ),
)
dashboard_section_register(
    role="reader",
    order=10,
    section=Section(
        "reader-status",
        "Your status and profile",
        panel_url_name="readers:dashboard_profile_panel",
        fallback_url_name="readers:dashboard_profile",
    ),
)
