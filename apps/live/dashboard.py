"""The reader dashboard's livestream section: "Go live" and the stream history with its earnings."""

from apps.dashboards.sections import Section, dashboard_section_register

dashboard_section_register(
    role="reader",
    order=22,
    section=Section("live", "Livestreams", panel_url_name="live:studio_panel", fallback_url_name="live:studio"),
)
