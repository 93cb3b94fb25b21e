"""Choices of the wallet app: what a ledger transaction is, and what kind of account a posting touches."""

from typing import Any

from django.db import models


class TransactionKind(models.TextChoices):
    TOP_UP = "top_up", "Top-up"
    SESSION_CHARGE = "session_charge", "Reading charge"
    SESSION_SETTLEMENT = "session_settlement", "Reading settlement"
    BOOKING = "booking", "Booking"
    BOOKING_REFUND = "booking_refund", "Booking refund"
    GIFT = "gift", "Gift"
    TICKET = "ticket", "Ticket"
    PAID_REPLY = "paid_reply", "Paid reply"
    COMMISSION = "commission", "Commission"
    REFUND = "refund", "Refund"
    REFUND_HOLD = "refund_hold", "Refund reserved"
    REFUND_HOLD_RELEASE = "refund_hold_release", "Refund released"
    REFUND_REVERSAL = "refund_reversal", "Refund returned by the card network"
    ADJUSTMENT = "adjustment", "Adjustment"
    PAYOUT = "payout", "Payout"
    PAYOUT_REVERSAL = "payout_reversal", "Payout reversal"
    CHARGEBACK = "chargeback", "Chargeback"
    CHARGEBACK_REVERSAL = "chargeback_reversal", "Chargeback reversal"
    SHOP_ORDER = "shop_order", "Shop order"


class AccountKind(models.TextChoices):
    WALLET = "wallet", "Client wallet"
    EARNINGS = "earnings", "Reader earnings"
    HOLD_SESSION = "hold_session", "Reading hold"
    HOLD_BOOKING = "hold_booking", "Booking hold"
    HOLD_REFUND = "hold_refund", "Refund hold"
    # The hold of any other subject (a shop order, a payout...): its subject_type says what it holds for.
    HOLD = "hold", "Hold"
    PLATFORM_REVENUE = "platform_revenue", "Platform revenue"
    PLATFORM_LOSSES = "platform_losses", "Platform losses"
    STRIPE_CASH = "stripe_cash", "Stripe cash"
    PAYOUTS_IN_TRANSIT = "payouts_in_transit", "Payouts in transit"


# Accounts whose balance is checked before spending: a locked row with a cached balance.
LOCKABLE_ACCOUNT_KINDS = frozenset(
    {
        AccountKind.WALLET,
        AccountKind.EARNINGS,
        AccountKind.HOLD_SESSION,
        AccountKind.HOLD_BOOKING,
        AccountKind.HOLD_REFUND,
        AccountKind.HOLD,
    }
)
HOLD_ACCOUNT_KINDS = frozenset(
    {AccountKind.HOLD_SESSION, AccountKind.HOLD_BOOKING, AccountKind.HOLD_REFUND, AccountKind.HOLD}
)
# Subjects whose holds predate the generic kind keep their own account kind; every other subject's hold is
# of kind HOLD.
LEGACY_HOLD_KINDS: dict[str, Any] = {
    "session": AccountKind.HOLD_SESSION,
    "booking": AccountKind.HOLD_BOOKING,
    "refund": AccountKind.HOLD_REFUND,
}
# Accounts that may never go below zero.
NON_NEGATIVE_ACCOUNT_KINDS = frozenset({AccountKind.WALLET, *HOLD_ACCOUNT_KINDS})
# House accounts: never locked, never a hot row; their balance is the sum of their postings.
HOUSE_ACCOUNT_CODES: dict[str, Any] = {
    "platform:revenue": AccountKind.PLATFORM_REVENUE,
    "platform:losses": AccountKind.PLATFORM_LOSSES,
    "stripe:cash": AccountKind.STRIPE_CASH,
    "payouts:in_transit": AccountKind.PAYOUTS_IN_TRANSIT,
}
# Kinds that may take money out of a frozen wallet (a dispute or a refund must still be booked).
FROZEN_DEBIT_KINDS = frozenset({TransactionKind.CHARGEBACK, TransactionKind.REFUND, TransactionKind.REFUND_HOLD})


class FreezeSource(models.TextChoices):
    """What froze a wallet; only the same source lifts it (an admin lifts any)."""

    DISPUTE = "dispute", "Open payment dispute"
    DISPUTE_LOST = "dispute_lost", "Lost payment dispute"
    ADMIN = "admin", "Admin"
