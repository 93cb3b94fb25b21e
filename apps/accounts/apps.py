from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"
    # allauth's email addresses are listed as "Accounts" in the admin; ours are the people and reader applications.
    verbose_name = "People"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import (
            emails,  # noqa: F401  (registers this app's outbox handlers)
            privacy,  # noqa: F401  (registers this app's personal data)
        )
