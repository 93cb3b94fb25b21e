"""The Stripe gateway: the one module that talks to Stripe (official SDK), its base address and key from
settings, cents conversion, and webhook verification exactly as Stripe signs (plus the future-timestamp rule)."""

import json
import time
from decimal import Decimal

import pytest

from apps.core.exceptions import IntegrationNotConfigured
from apps.wallet import stripe_gateway
from apps.wallet.tests.stripe_server import WEBHOOK_SECRET, sign


@pytest.mark.parametrize(("amount", "cents"), [("0.01", 1), ("25", 2500), ("25.50", 2550), ("500.00", 50000)])
def test_to_cents_exact(amount, cents):
    assert stripe_gateway.to_cents(Decimal(amount)) == cents
    assert stripe_gateway.from_cents(cents) == Decimal(amount).quantize(Decimal("0.01"))


def test_to_cents_fraction_of_a_cent_refused():
    with pytest.raises(ValueError):
        stripe_gateway.to_cents(Decimal("1.005"))


def test_gateway_without_secret_key_refuses_to_call(settings):
    settings.STRIPE_SECRET_KEY = ""
    with pytest.raises(IntegrationNotConfigured):
        stripe_gateway.checkout_session_retrieve("cs_test_1")


def test_gateway_calls_go_to_configured_base_with_key(stripe_server):
    # when
    with pytest.raises(stripe_gateway.StripeError) as raised:
        stripe_gateway.checkout_session_retrieve("cs_test_missing")
    # then the SDK really asked the configured server, with the key and a pinned API version
    assert raised.value.http_status == 404 and raised.value.code == "resource_missing"
    [request] = stripe_server.requests
    assert request.path == "/v1/checkout/sessions/cs_test_missing"
    assert request.authorization == f"Bearer {stripe_server.api_key}" and request.stripe_version


def test_gateway_wrong_key_is_an_authentication_error(stripe_server, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_wrong"
    with pytest.raises(stripe_gateway.stripe.AuthenticationError):
        stripe_gateway.checkout_session_retrieve("cs_test_1")


def _event_body() -> str:
    return json.dumps({"id": "evt_test_1", "object": "event", "type": "ping", "created": int(time.time()), "data": {}})


def test_webhook_event_construct_signed_now_accepted(stripe_server):
    body = _event_body()
    event = stripe_gateway.webhook_event_construct(payload=body.encode(), signature_header=sign(body))
    assert event.id == "evt_test_1"


def test_webhook_event_construct_signature_is_hmac_sha256_of_timestamp_dot_payload(stripe_server):
    # given a header built by hand the way Stripe documents it
    import hashlib
    import hmac

    body, ts = _event_body(), int(time.time())
    digest = hmac.new(WEBHOOK_SECRET.encode(), f"{ts}.{body}".encode(), hashlib.sha256).hexdigest()
    header = f"t={ts},v1={digest},v0=ignored"
    # then
    assert sign(body, timestamp=ts) == f"t={ts},v1={digest}"
    assert stripe_gateway.webhook_event_construct(payload=body.encode(), signature_header=header).id == "evt_test_1"


@pytest.mark.parametrize("offset", [-301, 310, 3600])
def test_webhook_event_construct_outside_300_seconds_refused(stripe_server, offset):
    body = _event_body()
    with pytest.raises(stripe_gateway.SignatureVerificationError):
        stripe_gateway.webhook_event_construct(
            payload=body.encode(), signature_header=sign(body, timestamp=int(time.time()) + offset)
        )


def test_webhook_event_construct_without_webhook_secret_refuses(settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    body = _event_body()
    with pytest.raises(IntegrationNotConfigured):
        stripe_gateway.webhook_event_construct(payload=body.encode(), signature_header=sign(body))
