from django.apps import AppConfig


class PagesConfig(AppConfig):
    name = "apps.pages"
    label = "pages"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import (
            privacy,  # noqa: F401  (registers this app's personal data)
            services,  # noqa: F401  (registers this app's outbox handlers)
        )
