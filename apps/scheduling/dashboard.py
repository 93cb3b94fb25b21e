"""Dashboard sections of scheduled readings.

No onboarding step: the reader's "Getting started" checklist lists what every reader must do before clients
can find them, and taking bookings is optional (a reader may offer live readings only), so a step there would
never be done for them. The Availability section says what is missing instead (a scheduled rate, hours).
"""

from apps.dashboards.sections import Section, dashboard_section_register

dashboard_section_register(
    role="reader",
    order=25,
    section=Section(
        "availability",
        "Availability",
        panel_url_name="scheduling:availability_panel",
        fallback_url_name="scheduling:availability",
    ),
)
