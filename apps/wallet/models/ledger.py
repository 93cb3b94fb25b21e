"""The double-entry ledger: Account, Transaction, Posting (SPEC §3)."""

__all__: list[str] = []
