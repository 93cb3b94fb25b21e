"""Reader payouts in the Django admin, all read-only.

This is money: payouts are made weekly or on request through the ledger and Stripe transfers, and Stripe's webhooks
mark them paid, failed or reversed. Share rates, KYC, holds and the global pause are set on the staff payout pages,
each audited.
"""

from django.contrib import admin

from apps.core.admin import ReadOnlyAdmin, user_email_column

from .models import Payout, PayoutAccount, PayoutControl

reader_email = user_email_column("reader", "Reader")


@admin.register(PayoutAccount)
class PayoutAccountAdmin(ReadOnlyAdmin):
    """Read-only: mirrored from the reader's Stripe account; rate, KYC and holds set on the staff payout pages."""

    list_display = (
        "__str__",
        reader_email,
        "share_rate",
        "stripe_account_id",
        "payouts_enabled",
        "transfers_active",
        "background_check_done",
        "is_held",
        "updated_at",
    )
    list_filter = ("payouts_enabled", "transfers_active", "background_check_done", "is_held")
    search_fields = ("reader__email", "stripe_account_id")
    date_hierarchy = "created_at"
    list_select_related = ("reader",)


@admin.register(PayoutControl)
class PayoutControlAdmin(ReadOnlyAdmin):
    """Read-only: payouts are paused and resumed on the staff payout queue, with a reason."""

    list_display = ("__str__", "is_paused", "reason", "changed_at", user_email_column("changed_by", "Changed by"))
    search_fields = ("reason", "changed_by__email")
    list_select_related = ("changed_by",)


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    """Read-only: money. Moved through the ledger and Stripe by the payout services."""

    list_display = (
        "__str__",
        reader_email,
        "amount",
        "source",
        "status",
        "stripe_transfer_id",
        "reversed_amount",
        user_email_column("requested_by", "Requested by"),
        "created_at",
        "paid_at",
    )
    list_filter = ("status", "source")
    search_fields = ("id__exact", "reader__email", "stripe_account_id", "stripe_transfer_id", "batch_key")
    date_hierarchy = "created_at"
    list_select_related = ("reader", "requested_by")
