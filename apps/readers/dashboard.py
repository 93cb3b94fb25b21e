"""Dashboard sections of the readers app."""

from apps.dashboards.onboarding import OnboardingStep, onboarding_step_register
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


def _profile(user):
    from .models import ReaderProfile
    from .selectors import reader_own_get

    try:
        return reader_own_get(user=user)  # the one the status panel reads too
    except ReaderProfile.DoesNotExist:
        return None


def _profile_complete(user) -> bool:
    from .services import reader_profile_missing

    profile = _profile(user)
    return profile is not None and not reader_profile_missing(profile)


def _profile_published(user) -> bool:
    profile = _profile(user)
    return profile is not None and profile.is_published


onboarding_step_register(
    role="reader",
    order=10,
    step=OnboardingStep(
        "reader-profile",
        "Complete your profile: a photo, a headline, a bio, your specialties and a rate",
        "readers:dashboard_profile",
        _profile_complete,
    ),
)
onboarding_step_register(
    role="reader",
    order=20,
    step=OnboardingStep(
        "reader-publish", "Publish your profile in the directory", "readers:dashboard_profile", _profile_published
    ),
)
