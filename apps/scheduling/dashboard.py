"""Dashboard sections and onboarding steps of scheduled readings."""

from apps.dashboards.onboarding import OnboardingStep, onboarding_step_register
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


def _taking_bookings(user) -> bool:
    from .models import ReaderSchedule, WeeklyWindow

    return (
        ReaderSchedule.objects.filter(reader=user, is_accepting=True).exists()
        and WeeklyWindow.objects.filter(reader=user).exists()
    )


onboarding_step_register(
    role="reader",
    order=40,
    step=OnboardingStep(
        "reader-availability",
        "Set your weekly hours and take bookings (needs a scheduled reading rate)",
        "scheduling:availability",
        _taking_bookings,
    ),
)
