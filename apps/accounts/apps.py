from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import (
            emails,  # noqa: F401  (registers this app's outbox handlers)
            privacy,  # noqa: F401  (registers this app's personal data)
        )
