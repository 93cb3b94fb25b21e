from django.apps import AppConfig


class ShopConfig(AppConfig):
    """The shop (SPEC §10): a catalog mirrored from Stripe, a cart, Stripe Checkout or the wallet, stock
    reservations, orders, shipping, refunds and buyer-bound downloads (``docs/SHOP.md``)."""

    name = "apps.shop"
    label = "shop"
    verbose_name = "Shop"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.wallet.services.ledger_check import ledger_check_register
        from apps.wallet.services.webhooks import stripe_event_handler_register
        from apps.wallet.stripe_purposes import stripe_purpose_register, stripe_unmatched_refund_register

        from . import (
            outbox_handlers,  # noqa: F401  (registers the shop's outbox handlers)
            privacy,  # noqa: F401  (registers the shop's personal data)
        )
        from .checks import orders_paid_in_ledger
        from .constants import PURPOSE
        from .services import catalog, orders, refunds

        ledger_check_register("shop_orders_paid_in_ledger")(orders_paid_in_ledger)
        for event_type in catalog.CATALOG_EVENT_TYPES:
            stripe_event_handler_register(event_type, catalog.catalog_event_apply)
        stripe_purpose_register(
            PURPOSE,
            handlers={
                "checkout.session.completed": orders.order_checkout_completed,
                "checkout.session.async_payment_succeeded": orders.order_checkout_completed,
                "checkout.session.expired": orders.order_checkout_expired,
                "checkout.session.async_payment_failed": orders.order_checkout_expired,
                # A shop refund's events (its metadata names the purpose): booked, or reversed when it came back.
                "refund.created": refunds.order_refund_stripe_event,
                "refund.updated": refunds.order_refund_stripe_event,
                "refund.failed": refunds.order_refund_stripe_event,
                "charge.refund.updated": refunds.order_refund_stripe_event,
            },
        )
        # A refund made in the Stripe Dashboard (no metadata) of an order's charge: the wallet finds no top-up
        # for it and offers it here, where its PaymentIntent finds the order.
        stripe_unmatched_refund_register(refunds.order_refund_dashboard_event)
