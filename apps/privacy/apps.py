from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "apps.privacy"
    label = "privacy"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import outbox_handlers, privacy, signals  # noqa: F401  (outbox handlers, personal data, sign-in)
