"""Dashboard sections of pay-per-minute readings."""

from apps.dashboards.sections import Section, dashboard_section_register

READINGS = Section(
    "readings", "Your readings", panel_url_name="readings:recent_panel", fallback_url_name="readings:history"
)

dashboard_section_register(role="client", order=50, section=READINGS)
dashboard_section_register(
    role="reader",
    order=20,
    section=Section(
        "reading-requests",
        "Reading requests",
        panel_url_name="readings:incoming_panel",
        fallback_url_name="readings:history",
    ),
)
dashboard_section_register(role="reader", order=30, section=READINGS)
