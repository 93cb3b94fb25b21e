from django.apps import AppConfig


class PayoutsConfig(AppConfig):
    """Reader payouts through Stripe Connect Express (URLs ``payouts:``, ``/payouts/``, ``/staff/payouts/``)."""

    name = "apps.payouts"
    label = "payouts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.wallet.services.ledger_check import ledger_check_register
        from apps.wallet.services.shares import reader_rate_source_register
        from apps.wallet.services.webhooks import stripe_event_handler_register

        from . import outbox_handlers  # noqa: F401  (registers "payouts.transfer_send")
        from .checks import in_transit_matches_pending
        from .selectors import share_rate_of
        from .webhooks import EVENT_HANDLERS

        reader_rate_source_register(share_rate_of)
        for event_type, handler in EVENT_HANDLERS.items():
            stripe_event_handler_register(event_type, handler)
        ledger_check_register("payouts_in_transit_matches_pending")(in_transit_matches_pending)
        from . import privacy  # noqa: F401  (registers this app's personal data)
