"""Dashboard sections of the pages app (help center and support)."""

from apps.dashboards.sections import Section, dashboard_section_register

dashboard_section_register(
    role="admin",
    order=20,
    section=Section(
        "support-tickets",
        "Support tickets",
        panel_url_name="staff_pages:ticket_panel",
        fallback_url_name="staff_pages:ticket_list",
    ),
)
