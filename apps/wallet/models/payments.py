"""Stripe payments: events received, top-ups, refunds, disputes (SPEC §3)."""

__all__: list[str] = []
