"""The wallet's rows in the Django admin, all read-only.

This is money: accounts, ledger transactions and their postings only change through ``transaction_post`` and the
services built on it (top-ups, refunds, disputes, holds, adjustments), each in one transaction with its audit row.
Stripe's events, top-ups, refunds and disputes are mirrored from Stripe by the webhooks; the checks and the
reconciliation runs record themselves. Adjustments and refunds are made on the staff wallet pages.
"""

from decimal import Decimal

from django.contrib import admin

from apps.core.admin import ReadOnlyAdmin, ReadOnlyInline, user_email_column

from .models import (
    Account,
    Dispute,
    LedgerCheckRun,
    Posting,
    ReconciliationRun,
    Refund,
    StripeEvent,
    TopUp,
    Transaction,
)


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    """Read-only: a balance moves only with the postings of a ledger transaction; accounts are frozen on the staff
    wallet pages."""

    list_display = (
        "code",
        "kind",
        user_email_column("user", "User"),
        "cached_balance",
        "is_frozen",
        "subject_type",
        "subject_id",
        "created_at",
    )
    list_filter = ("kind", "is_frozen", "subject_type")
    search_fields = ("code", "user__email", "subject_id__exact")
    date_hierarchy = "created_at"
    list_select_related = ("user",)

    @admin.display(description="Balance", ordering="balance")
    def cached_balance(self, obj: Account) -> Decimal | None:
        """Kept only on wallets, earnings and holds; a house account's balance is the sum of its postings."""
        return obj.balance if obj.is_lockable else None


class PostingInline(ReadOnlyInline):
    model = Posting
    fields = ("account", "amount")
    list_select_related = ("account",)


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    """Read-only: a ledger transaction is posted once, balanced, and never edited; corrections are new transactions.
    The hash of its parameters is not shown (it only tells a replay from a conflicting request)."""

    list_display = (
        "__str__",
        "kind",
        user_email_column("user", "User"),
        user_email_column("actor", "By"),
        "subject_type",
        "subject_id",
        "memo",
        "created_at",
    )
    list_filter = ("kind", "subject_type")
    search_fields = (
        "id__exact",
        "idempotency_key",
        "user__email",
        "actor__email",
        "memo",
        "stripe_event_id",
        "stripe_payment_intent_id",
        "stripe_checkout_session_id",
        "stripe_refund_id",
        "stripe_dispute_id",
    )
    date_hierarchy = "created_at"
    list_select_related = ("user", "actor")
    exclude = ("params_hash",)
    inlines = [PostingInline]


@admin.register(Posting)
class PostingAdmin(ReadOnlyAdmin):
    """Read-only: one leg of a ledger transaction."""

    list_display = ("id", "transaction", "account", "amount", "posted_at")
    list_filter = ("account__kind", "transaction__kind")
    search_fields = ("transaction__id__exact", "account__code", "account__user__email")
    list_select_related = ("transaction", "account")

    @admin.display(description="Posted at", ordering="transaction__created_at")
    def posted_at(self, obj: Posting) -> object:
        return obj.transaction.created_at


@admin.register(LedgerCheckRun)
class LedgerCheckRunAdmin(ReadOnlyAdmin):
    """Read-only: each run of ``ledger_check`` records itself."""

    list_display = ("__str__", "started_at", "finished_at", "is_ok", "trigger")
    list_filter = ("is_ok", "trigger")
    search_fields = ("trigger",)
    date_hierarchy = "started_at"


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    """Read-only: Stripe's webhook events as received, and what their processing did."""

    list_display = ("stripe_event_id", "type", "status", "attempts", "stripe_created_at", "created_at", "processed_at")
    list_filter = ("status", "type")
    search_fields = ("stripe_event_id", "type", "payment_intent_id", "charge_id")
    date_hierarchy = "created_at"


@admin.register(TopUp)
class TopUpAdmin(ReadOnlyAdmin):
    """Read-only: money. A top-up is credited only by Stripe's webhook, through the ledger."""

    list_display = (
        "__str__",
        user_email_column("user", "User"),
        "amount",
        "currency",
        "status",
        "created_at",
        "paid_at",
    )
    list_filter = ("status", "currency")
    search_fields = ("id__exact", "user__email", "stripe_checkout_session_id", "stripe_payment_intent_id")
    date_hierarchy = "created_at"
    list_select_related = ("user",)


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    """Read-only: money. Refunds are requested on the staff wallet pages and completed by Stripe's webhook."""

    list_display = (
        "__str__",
        user_email_column("user", "User"),
        "topup",
        "amount",
        "status",
        user_email_column("requested_by", "Requested by"),
        "created_at",
        "completed_at",
    )
    list_filter = ("status",)
    search_fields = ("id__exact", "user__email", "stripe_refund_id", "reason")
    date_hierarchy = "created_at"
    list_select_related = ("user", "topup", "requested_by")


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    """Read-only: money. Disputes are opened and closed by Stripe's webhooks, which freeze and settle the wallet."""

    list_display = (
        "stripe_dispute_id",
        user_email_column("user", "User"),
        "topup",
        "amount",
        "stripe_status",
        "reason",
        "status",
        "created_at",
    )
    list_filter = ("status", "stripe_status")
    search_fields = ("stripe_dispute_id", "user__email", "reason")
    date_hierarchy = "created_at"
    list_select_related = ("user", "topup")


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnlyAdmin):
    """Read-only: each comparison of the ledger with Stripe's balance records itself."""

    list_display = ("__str__", "since", "until", "is_clean", "ledger_count", "stripe_count", "started_at")
    list_filter = ("is_clean",)
    search_fields = ("error",)
    date_hierarchy = "started_at"
