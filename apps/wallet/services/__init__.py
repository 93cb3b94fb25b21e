"""Wallet write services: ledger.py posts transactions; the other modules are the money use cases."""
