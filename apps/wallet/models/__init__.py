"""Wallet models: the double-entry ledger (ledger.py) and Stripe payments (payments.py)."""

from .ledger import *  # noqa: F403
from .payments import *  # noqa: F403
