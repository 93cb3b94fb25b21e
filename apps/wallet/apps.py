from django.apps import AppConfig


class WalletConfig(AppConfig):
    name = "apps.wallet"
    label = "wallet"
    default_auto_field = "django.db.models.BigAutoField"
