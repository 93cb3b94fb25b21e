from django.apps import AppConfig
from django.core import checks


class DashboardsConfig(AppConfig):
    name = "apps.dashboards"
    label = "dashboards"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        # Each app declares its dashboard sections in its own dashboard.py.
        autodiscover_modules("dashboard")
        checks.register(dashboard_sections_check, checks.Tags.urls)


def dashboard_sections_check(app_configs, **kwargs):
    from .onboarding import onboarding_problems
    from .sections import ROLES, dashboard_section_problems, dashboard_sections

    errors = []
    for role in ROLES:
        for problem in dashboard_section_problems(dashboard_sections(role)):
            errors.append(checks.Error(f"{role} dashboard: {problem}", id="dashboards.E001"))
    errors += [checks.Error(problem, id="dashboards.E002") for problem in onboarding_problems()]
    return errors
