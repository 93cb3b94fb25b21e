from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "apps.notifications"
    label = "notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import (
            privacy,  # noqa: F401  (registers this app's personal data)
            services,  # noqa: F401  (registers the "notifications.email" outbox handler)
        )
