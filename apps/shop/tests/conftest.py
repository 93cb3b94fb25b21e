"""Shop test fixtures: the wallet's local Stripe server."""

from apps.wallet.tests.conftest import stripe_server  # noqa: F401  (the local Stripe API server)
