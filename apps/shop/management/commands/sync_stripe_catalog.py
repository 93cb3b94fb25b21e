from typing import Any

from django.core.management.base import BaseCommand, CommandError

from apps.core.integrations import stripe_enabled
from apps.shop.services.catalog import catalog_sync
from apps.wallet import stripe_gateway


class Command(BaseCommand):
    help = "Mirror every Stripe product and price into the shop's catalog (idempotent; safe while webhooks arrive)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not stripe_enabled():
            raise CommandError("Stripe is not configured (STRIPE_SECRET_KEY): the shop's catalog cannot be synced.")
        try:
            run = catalog_sync()
        except stripe_gateway.StripeError as exc:
            raise CommandError(f"Stripe could not be read: {exc}") from exc
        self.stdout.write(f"Synced {run.products} products and {run.prices} prices from Stripe.")
