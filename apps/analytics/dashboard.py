"""Dashboard sections of the analytics pages."""

from apps.dashboards.sections import Section, dashboard_section_register

dashboard_section_register(
    role="reader",
    order=35,
    section=Section("analytics", "Your analytics", template="analytics/sections/_reader.html"),
)
dashboard_section_register(
    role="admin",
    order=20,
    section=Section("analytics", "Platform analytics", template="analytics/sections/_admin.html"),
)
