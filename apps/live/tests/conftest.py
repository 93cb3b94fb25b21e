"""Fixtures of the livestream tests."""

import pytest

from apps.wallet.tests.stripe_server import API_KEY, WEBHOOK_SECRET, running_stripe_server


@pytest.fixture
def stripe_server(settings):
    """Stripe switched on and pointed at the wallet tests' local server that answers like Stripe."""
    with running_stripe_server() as server:
        settings.STRIPE_SECRET_KEY = API_KEY
        settings.STRIPE_PUBLISHABLE_KEY = "pk_test_51SoulSeerLocalServerKey"
        settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
        settings.STRIPE_API_BASE = server.base_url
        yield server
