from django.apps import AppConfig


class WalletConfig(AppConfig):
    name = "apps.wallet"
    label = "wallet"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.wallet.services import webhooks  # noqa: F401  (registers the Stripe purposes and the "wallet.stripe_event_process" and "wallet.refund_submit" outbox handlers)
        from apps.wallet.services.ledger_check import ledger_check_register
        from apps.wallet.services.refunds import refund_holds_settled

        ledger_check_register("refund_hold_settled")(refund_holds_settled)
