"""Helpers for wallet tests that drive a payment through the local Stripe server and signed webhooks."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from apps.wallet.models import StripeEvent, TopUp
from apps.wallet.services.topups import topup_start
from apps.wallet.services.webhooks import stripe_events_process_received

from .stripe_server import StripeTestServer, webhook_post

SUCCESS_URL = "http://testserver/wallet/topup/success/?session_id={CHECKOUT_SESSION_ID}"
CANCEL_URL = "http://testserver/wallet/topup/cancel/"


def topup_checkout(user: Any, amount: str | Decimal = "25.00") -> TopUp:
    """A pending top-up with its Checkout Session created on the local Stripe server."""
    return topup_start(user=user, amount=amount, success_url=SUCCESS_URL, cancel_url=CANCEL_URL)


def deliver(client: Any, server: StripeTestServer, event_type: str, obj: dict[str, Any], **sign: Any) -> Any:
    """Create the event on the server (so the Events API lists it) and POST it, signed, to the webhook."""
    event = server.event(event_type, obj)
    response = webhook_post(client, event, **sign)
    response.event = event
    return response


def topup_paid(client: Any, server: StripeTestServer, user: Any, amount: str | Decimal = "25.00") -> TopUp:
    """A top-up paid on Checkout and credited through the checkout.session.completed webhook."""
    topup = topup_checkout(user, amount)
    session = server.session_pay(topup.stripe_checkout_session_id)
    response = deliver(client, server, "checkout.session.completed", session)
    assert response.status_code == 200, response.content
    stripe_events_process_received()
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.PAID
    return topup


def events_by_status() -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in StripeEvent.objects.values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return counts
