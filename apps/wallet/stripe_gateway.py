"""Every call this project makes to Stripe goes through this module (official ``stripe`` SDK).

The API key comes from settings.STRIPE_SECRET_KEY; settings.STRIPE_API_BASE points the SDK at another
base address (the test suite runs a local server that speaks Stripe's API). Amounts cross this
boundary as Decimal dollars on our side and integer cents on Stripe's side.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import stripe
from django.conf import settings

from apps.core.exceptions import IntegrationNotConfigured

CURRENCY = "usd"
# Stripe's documented default tolerance for webhook timestamps, in seconds.
WEBHOOK_TOLERANCE_SECONDS = 300

StripeError = stripe.StripeError
SignatureVerificationError = stripe.SignatureVerificationError


def to_cents(amount: Decimal) -> int:
    cents = (amount * 100).to_integral_value()
    if cents != amount * 100:
        raise ValueError(f"{amount} has more than two decimal places")
    return int(cents)


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def _client() -> stripe.StripeClient:
    if not settings.STRIPE_SECRET_KEY:
        raise IntegrationNotConfigured("Card payments are not configured on this server.")
    base_addresses: dict[str, str] = {}
    if settings.STRIPE_API_BASE:
        base_addresses = {"api": settings.STRIPE_API_BASE}
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses=base_addresses,  # type: ignore[arg-type]
        max_network_retries=2,
    )


def checkout_session_create(
    *,
    amount: Decimal,
    topup_id: int,
    user_id: int,
    customer_email: str,
    success_url: str,
    cancel_url: str,
    idempotency_key: str,
) -> dict[str, Any]:
    """A one-off Checkout Session for a wallet top-up of ``amount`` dollars. Its metadata (copied to the
    PaymentIntent and so to the charge) names the purpose, which routes its webhooks (``stripe_purposes``)."""
    metadata = {"purpose": "topup", "topup_id": str(topup_id), "user_id": str(user_id)}
    session = _client().v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "client_reference_id": str(topup_id),
            "customer_email": customer_email,
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": CURRENCY,
                        "unit_amount": to_cents(amount),
                        "product_data": {"name": "SoulSeer wallet top-up"},
                    },
                }
            ],
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata},
            "success_url": success_url,
            "cancel_url": cancel_url,
        },
        options={"idempotency_key": idempotency_key},
    )
    return as_dict(session)


def checkout_session_retrieve(session_id: str) -> dict[str, Any]:
    return as_dict(_client().v1.checkout.sessions.retrieve(session_id))


def refund_create(
    *, payment_intent_id: str, amount: Decimal, metadata: dict[str, str], idempotency_key: str
) -> dict[str, Any]:
    refund = _client().v1.refunds.create(
        params={
            "payment_intent": payment_intent_id,
            "amount": to_cents(amount),
            "reason": "requested_by_customer",
            "metadata": metadata,
        },
        options={"idempotency_key": idempotency_key},
    )
    return as_dict(refund)


def refund_retrieve(refund_id: str) -> dict[str, Any]:
    return as_dict(_client().v1.refunds.retrieve(refund_id))


def refunds_of_charge(charge_id: str) -> Iterator[dict[str, Any]]:
    """Every refund of one charge (Stripe's events about a charge no longer list them)."""
    page = _client().v1.refunds.list(params={"charge": charge_id, "limit": 100})
    for refund in page.auto_paging_iter():
        yield as_dict(refund)


def charge_retrieve(charge_id: str) -> dict[str, Any]:
    return as_dict(_client().v1.charges.retrieve(charge_id))


def events_iter(*, created_gte: int, created_lte: int) -> Iterator[dict[str, Any]]:
    """Every event Stripe still holds (30 days) created in [created_gte, created_lte], newest first."""
    page = _client().v1.events.list(params={"created": {"gte": created_gte, "lte": created_lte}, "limit": 100})
    for event in page.auto_paging_iter():
        yield as_dict(event)


def balance_transactions_iter(*, created_gte: int, created_lte: int) -> Iterator[dict[str, Any]]:
    page = _client().v1.balance_transactions.list(
        params={
            "created": {"gte": created_gte, "lte": created_lte},
            "limit": 100,
            "expand": ["data.source"],
        }
    )
    for txn in page.auto_paging_iter():
        yield as_dict(txn)


def webhook_event_construct(*, payload: bytes, signature_header: str, secret: str | None = None) -> stripe.Event:
    """Verify a webhook delivery exactly as Stripe documents, and also refuse timestamps from the future.

    ``secret`` is the endpoint's signing secret (default: the platform endpoint's, ``STRIPE_WEBHOOK_SECRET``;
    the Connect endpoint passes its own). Raises SignatureVerificationError (bad, stale or future signature) or
    ValueError (malformed JSON).
    """
    secret = settings.STRIPE_WEBHOOK_SECRET if secret is None else secret
    if not secret:
        raise IntegrationNotConfigured("Stripe webhooks are not configured on this server.")
    timestamp = _signature_timestamp(signature_header)
    if timestamp is None or timestamp > time.time() + WEBHOOK_TOLERANCE_SECONDS:
        raise SignatureVerificationError("Timestamp outside the tolerance zone", signature_header, payload)
    return stripe.Webhook.construct_event(
        payload.decode("utf-8"), signature_header, secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
    )


# --- The shop's catalog and checkout (apps.shop) ------------------------------------------------------


def product_retrieve(product_id: str) -> dict[str, Any] | None:
    """The product as Stripe holds it now, or None when Stripe no longer has it (deleted)."""
    try:
        return as_dict(_client().v1.products.retrieve(product_id))
    except stripe.InvalidRequestError as exc:
        if exc.code == "resource_missing":
            return None
        raise


def price_retrieve(price_id: str) -> dict[str, Any] | None:
    """The price as Stripe holds it now, or None when Stripe no longer has it."""
    try:
        return as_dict(_client().v1.prices.retrieve(price_id))
    except stripe.InvalidRequestError as exc:
        if exc.code == "resource_missing":
            return None
        raise


def products_iter() -> Iterator[dict[str, Any]]:
    """Every product, active or archived, page by page."""
    page = _client().v1.products.list(params={"limit": 100})
    for product in page.auto_paging_iter():
        yield as_dict(product)


def prices_iter() -> Iterator[dict[str, Any]]:
    """Every price, active or archived, page by page."""
    page = _client().v1.prices.list(params={"limit": 100})
    for price in page.auto_paging_iter():
        yield as_dict(price)


def shop_checkout_session_create(
    *,
    line_items: list[dict[str, Any]],
    metadata: dict[str, str],
    customer_email: str,
    shipping_countries: list[str] | None,
    shipping_rate_ids: list[str],
    expires_at: int,
    success_url: str,
    cancel_url: str,
    idempotency_key: str,
) -> dict[str, Any]:
    """A Checkout Session for a shop order, with Stripe prices only and promotion codes allowed; a shipping address
    (and shipping rates) only when ``shipping_countries`` is given (the cart holds physical items)."""
    params: dict[str, Any] = {
        "mode": "payment",
        "client_reference_id": metadata["order_id"],
        "customer_email": customer_email,
        "line_items": line_items,
        "allow_promotion_codes": True,
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
        "expires_at": expires_at,
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    if shipping_countries:
        params["shipping_address_collection"] = {"allowed_countries": shipping_countries}
        params["shipping_options"] = [{"shipping_rate": rate} for rate in shipping_rate_ids]
    session = _client().v1.checkout.sessions.create(
        params=params,  # type: ignore[arg-type]
        options={"idempotency_key": idempotency_key},
    )
    return as_dict(session)


def checkout_session_line_items(session_id: str) -> list[dict[str, Any]]:
    """A Checkout Session's line items (not in its webhook payload): price, quantity and amounts of each."""
    page = _client().v1.checkout.sessions.line_items.list(session_id, params={"limit": 100})
    return [as_dict(item) for item in page.auto_paging_iter()]


# --- Connect: reader accounts and transfers (apps.payouts) ------------------------------------------------


def connect_account_create(*, user_id: int, email: str, idempotency_key: str) -> dict[str, Any]:
    """An Express connected account for a reader, able to receive transfers."""
    account = _client().v1.accounts.create(
        params={
            "type": "express",
            "email": email,
            "capabilities": {"transfers": {"requested": True}},
            "metadata": {"purpose": "reader_payouts", "user_id": str(user_id)},
        },
        options={"idempotency_key": idempotency_key},
    )
    return as_dict(account)


def connect_account_retrieve(account_id: str) -> dict[str, Any]:
    return as_dict(_client().v1.accounts.retrieve(account_id))


def connect_account_link_create(*, account_id: str, return_url: str, refresh_url: str) -> dict[str, Any]:
    """A one-time onboarding link (Stripe-hosted); it expires within minutes, so it is made on each visit."""
    link = _client().v1.account_links.create(
        params={
            "account": account_id,
            "type": "account_onboarding",
            "return_url": return_url,
            "refresh_url": refresh_url,
        }
    )
    return as_dict(link)


def transfer_create(
    *, amount: Decimal, destination: str, transfer_group: str, metadata: dict[str, str], idempotency_key: str
) -> dict[str, Any]:
    transfer = _client().v1.transfers.create(
        params={
            "amount": to_cents(amount),
            "currency": CURRENCY,
            "destination": destination,
            "transfer_group": transfer_group,
            "metadata": metadata,
        },
        options={"idempotency_key": idempotency_key},
    )
    return as_dict(transfer)


def transfer_retrieve(transfer_id: str) -> dict[str, Any]:
    return as_dict(_client().v1.transfers.retrieve(transfer_id))


def transfers_of_group(transfer_group: str) -> list[dict[str, Any]]:
    """The transfers already made for ``transfer_group`` (found even after Stripe forgot an idempotency key)."""
    page = _client().v1.transfers.list(params={"transfer_group": transfer_group, "limit": 10})
    return [as_dict(transfer) for transfer in page.data]


def _signature_timestamp(header: str) -> int | None:
    for item in (header or "").split(","):
        key, _, value = item.strip().partition("=")
        if key == "t":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def as_dict(obj: Any) -> dict[str, Any]:
    """A plain JSON-able dict of a Stripe object (for storing and for services that read fields)."""
    if isinstance(obj, stripe.StripeObject):
        return obj.to_dict(for_json=True)
    return dict(obj)
