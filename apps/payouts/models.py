"""Reader payouts: each reader's payout settings (Stripe Connect account, KYC mirror, revenue share, admin flags
and hold), the platform-wide pause, and the payouts themselves. Money moves only through the ledger."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from .constants import SHARE_RATE_MAX, SHARE_RATE_MIN
from .enums import PayoutSource, PayoutStatus


class PayoutAccount(models.Model):
    """One per reader, created on first use.

    ``share_rate`` NULL means the platform's rate. The Stripe fields mirror the Express account as Stripe last
    reported it (``account.updated`` or a re-read when the reader comes back from onboarding).
    """

    reader = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payout_account")
    share_rate = models.DecimalField("reader share", max_digits=5, decimal_places=4, null=True, blank=True)

    stripe_account_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    details_submitted = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    transfers_active = models.BooleanField(default=False)
    requirements_currently_due = models.JSONField(default=list, blank=True)
    requirements_past_due = models.JSONField(default=list, blank=True)
    disabled_reason = models.CharField(max_length=100, blank=True)
    stripe_synced_at = models.DateTimeField(null=True, blank=True)
    deauthorized_at = models.DateTimeField(null=True, blank=True)

    # Admin KYC flags of our own, next to Stripe's.
    background_check_done = models.BooleanField(default=False)
    kyc_note = models.TextField(blank=True, max_length=2000)

    is_held = models.BooleanField(default=False)
    held_reason = models.TextField(blank=True, max_length=2000)
    held_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(share_rate__isnull=True)
                | Q(share_rate__gte=SHARE_RATE_MIN, share_rate__lte=SHARE_RATE_MAX),
                name="payout_account_share_rate_bounds",
            ),
            models.CheckConstraint(
                condition=Q(is_held=False) | ~Q(held_reason=""), name="payout_account_hold_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"Payout account of user {self.reader_id}"

    @property
    def stripe_verified(self) -> bool:
        """Stripe says the account can be paid: onboarding finished, payouts on, nothing overdue."""
        return bool(
            self.stripe_account_id
            and self.deauthorized_at is None
            and self.details_submitted
            and self.payouts_enabled
            and self.transfers_active
            and not self.disabled_reason
            and not self.requirements_past_due
        )

    @property
    def is_verified(self) -> bool:
        """Verified for payouts: Stripe's checks and the admins' own."""
        return self.stripe_verified and self.background_check_done


class PayoutControl(models.Model):
    """The platform-wide switch (one row, pk 1): while paused no payout is created or sent."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    is_paused = models.BooleanField(default=False)
    reason = models.TextField(blank=True, max_length=2000)
    changed_at = models.DateTimeField(null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="payout_control_single_row"),
            models.CheckConstraint(condition=Q(is_paused=False) | ~Q(reason=""), name="payout_control_pause_reason"),
        ]

    def __str__(self) -> str:
        return "Payouts paused" if self.is_paused else "Payouts running"


class Payout(models.Model):
    """Money on its way from ``earnings:<reader>`` to the reader's Stripe account.

    Created with the ledger move earnings → ``payouts:in_transit`` and an outbox message in one transaction;
    the message makes the Stripe transfer (idempotency key and transfer group from the payout id).
    """

    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payouts")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    source = models.CharField(max_length=10, choices=PayoutSource.choices)
    # The ISO week of a weekly payout ("2026-W49"), so running the batch twice pays nobody twice.
    batch_key = models.CharField(max_length=10, blank=True)
    status = models.CharField(max_length=10, choices=PayoutStatus.choices, default=PayoutStatus.PENDING)
    stripe_account_id = models.CharField(max_length=64)
    stripe_transfer_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    reversed_amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    failure_reason = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payout_amount_positive"),
            models.CheckConstraint(condition=Q(status__in=PayoutStatus.values), name="payout_status_valid"),
            models.CheckConstraint(condition=Q(source__in=PayoutSource.values), name="payout_source_valid"),
            models.CheckConstraint(
                condition=Q(reversed_amount__gte=0, reversed_amount__lte=F("amount")),
                name="payout_reversed_within_amount",
            ),
            models.UniqueConstraint(
                fields=["reader"], condition=Q(status=PayoutStatus.PENDING), name="payout_one_pending_per_reader"
            ),
            models.UniqueConstraint(
                fields=["reader", "batch_key"], condition=Q(source=PayoutSource.WEEKLY), name="payout_weekly_once"
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="payout_status_idx")]

    def __str__(self) -> str:
        return f"Payout {self.pk} of ${self.amount} to user {self.reader_id}"
