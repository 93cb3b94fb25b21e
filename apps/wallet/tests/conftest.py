"""Wallet test fixtures: a local Stripe API server the official SDK talks to."""

import pytest

from .stripe_server import API_KEY, CONNECT_WEBHOOK_SECRET, WEBHOOK_SECRET, running_stripe_server


@pytest.fixture
def stripe_server(settings):
    """Stripe switched on and pointed at a local server that answers like Stripe and records requests."""
    with running_stripe_server() as server:
        settings.STRIPE_SECRET_KEY = API_KEY
        settings.STRIPE_PUBLISHABLE_KEY = "pk_test_51SoulSeerLocalServerKey"
        settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
        settings.STRIPE_CONNECT_WEBHOOK_SECRET = CONNECT_WEBHOOK_SECRET
        settings.STRIPE_API_BASE = server.base_url
        yield server
