"""Dashboard sections of scheduled readings: a client's upcoming bookings; a reader's bookings and earnings."""

from apps.dashboards.sections import Section, dashboard_section_register

dashboard_section_register(
    role="client",
    order=45,
    section=Section(
        "bookings",
        "Upcoming bookings",
        panel_url_name="scheduling_manage:client_panel",
        fallback_url_name="scheduling_manage:client_list",
    ),
)
dashboard_section_register(
    role="reader",
    order=25,
    section=Section(
        "reader-bookings",
        "Bookings",
        panel_url_name="scheduling_manage:reader_panel",
        fallback_url_name="scheduling_manage:reader_list",
    ),
)
