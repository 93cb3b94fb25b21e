"""Dashboard sections of scheduled readings: a client's upcoming bookings; a reader's bookings and earnings, and
their availability; the admins' bookings summary.

No onboarding step: the reader's "Getting started" checklist lists what every reader must do before clients
can find them, and taking bookings is optional (a reader may offer live readings only), so a step there would
never be done for them. The Availability section says what is missing instead (a scheduled rate, hours).
"""

from typing import Any

from django.http import HttpRequest

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


def admin_bookings(request: HttpRequest) -> dict[str, Any]:
    from .selectors_manage import booking_staff_summary

    return {"summary": booking_staff_summary(viewer=request.user)}


dashboard_section_register(
    role="admin",
    order=50,
    section=Section(
        "bookings",
        "Bookings",
        template="scheduling/staff/_admin_section.html",
        context="apps.scheduling.dashboard.admin_bookings",
    ),
)
dashboard_section_register(
    role="reader",
    order=26,
    section=Section(
        "availability",
        "Availability",
        panel_url_name="scheduling:availability_panel",
        fallback_url_name="scheduling:availability",
    ),
)
