from django.apps import AppConfig
from django.core import checks


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .navigation import navigation_check
        from .privacy import personal_data_check
        from .stored_images import stored_images_check

        checks.register(navigation_check, checks.Tags.urls)
        checks.register(personal_data_check, checks.Tags.models)
        checks.register(stored_images_check, checks.Tags.models)
        from . import personal_data  # noqa: F401  (registers the audit log's and file links' personal data)
