from django.apps import AppConfig


class ReadersConfig(AppConfig):
    name = "apps.readers"
    label = "readers"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import (
            privacy,  # noqa: F401  (registers this app's personal data)
            services,  # noqa: F401  (registers this app's outbox handlers)
        )
