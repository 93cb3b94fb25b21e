from django.apps import AppConfig


class WalletConfig(AppConfig):
    name = "apps.wallet"
    label = "wallet"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.wallet.services import webhooks  # noqa: F401  (registers the "wallet.stripe_event_process" outbox handler)
