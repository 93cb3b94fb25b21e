"""Payouts test fixtures: the local Stripe server (with Connect) the official SDK talks to."""

import pytest

from apps.wallet.tests.stripe_server import API_KEY, CONNECT_WEBHOOK_SECRET, WEBHOOK_SECRET, running_stripe_server


@pytest.fixture
def stripe_server(settings):
    """Stripe switched on (both webhook endpoints) and pointed at a local server that answers like Stripe."""
    with running_stripe_server() as server:
        settings.STRIPE_SECRET_KEY = API_KEY
        settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
        settings.STRIPE_CONNECT_WEBHOOK_SECRET = CONNECT_WEBHOOK_SECRET
        settings.STRIPE_API_BASE = server.base_url
        yield server
