"""The dashboards' own sections: account, security, reader applications and the admin tools."""

from .onboarding import OnboardingStep, onboarding_step_register
from .sections import Section, dashboard_section_register


def _has_totp(user) -> bool:
    from apps.accounts.selectors import user_has_totp

    return user_has_totp(user=user)


dashboard_section_register(
    role="reader",
    order=5,
    section=Section(
        "getting-started",
        "Getting started",
        template="dashboards/sections/_onboarding.html",
        context="apps.dashboards.contexts.reader_onboarding",
    ),
)
onboarding_step_register(
    role="reader",
    order=30,
    step=OnboardingStep(
        "two-factor", "Turn on two-factor authentication to protect your earnings", "mfa_activate_totp", _has_totp
    ),
)

dashboard_section_register(
    role="client", order=10, section=Section("account", "Your account", template="dashboards/sections/_account.html")
)
dashboard_section_register(
    role="client",
    order=20,
    section=Section(
        "become-reader",
        "Read on SoulSeer",
        template="dashboards/sections/_reader_application.html",
        context="apps.dashboards.contexts.reader_application",
    ),
)
dashboard_section_register(
    role="reader",
    order=40,
    section=Section(
        "security",
        "Account security",
        template="dashboards/sections/_security.html",
        context="apps.dashboards.contexts.security",
    ),
)
dashboard_section_register(
    role="reader", order=50, section=Section("account", "Your account", template="dashboards/sections/_account.html")
)
dashboard_section_register(
    role="admin",
    order=10,
    section=Section(
        "reader-applications",
        "Reader applications",
        template="dashboards/sections/_admin_applications.html",
        context="apps.dashboards.contexts.admin_applications",
    ),
)
dashboard_section_register(
    role="admin",
    order=90,
    section=Section("admin-tools", "Administration", template="dashboards/sections/_admin_tools.html"),
)
