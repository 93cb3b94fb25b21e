"""``python manage.py wallet_outbox_adopt`` (the release phase runs it after ``migrate``)

Stripe event processing and refund submission run through the outbox. Events and refunds stored before that
(or by a web process still running the previous release while this one deployed) have no outbox message: this
gives each unfinished one a message, once. Running it again finds nothing new to do.
"""

from django.core.management.base import BaseCommand

from apps.wallet.services.refunds import refunds_adopt
from apps.wallet.services.webhooks import stripe_events_adopt


class Command(BaseCommand):
    help = "Give every unfinished Stripe event and pending refund without an outbox message one."

    def handle(self, *args, **options) -> None:
        events = stripe_events_adopt()
        refunds = refunds_adopt()
        self.stdout.write(f"{events} Stripe event(s) and {refunds} refund(s) handed to the outbox.")
