from django.apps import AppConfig


class WalletConfig(AppConfig):
    name = "apps.wallet"
    label = "wallet"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.wallet.hold_subjects import hold_subject_register
        from apps.wallet.services import webhooks  # noqa: F401  (registers the Stripe purposes and the "wallet.stripe_event_process" and "wallet.refund_submit" outbox handlers)
        from apps.wallet.services.refunds import REFUND_SUBJECT, refunds_finished

        hold_subject_register(REFUND_SUBJECT, finished=refunds_finished)
        from . import privacy  # noqa: F401  (registers this app's personal data)
