"""Stripe payments: events received, top-ups, refunds, disputes, reconciliation runs (SPEC §3).

None of these rows is money: money lives in the ledger. These rows track what was asked of Stripe
and what Stripe reported, so every ledger entry they lead to can be traced back to a Stripe object.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

__all__ = ["Dispute", "ReconciliationRun", "Refund", "StripeEvent", "TopUp"]


class StripeEvent(models.Model):
    """Every verified webhook delivery (and every replayed event), stored once per Stripe event id."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSING = "processing", "Processing"
        # About a payment not credited yet (it arrived early): retried once the top-up is credited.
        PENDING = "pending", "Waiting for its payment"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    stripe_event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100, db_index=True)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED, db_index=True)
    error = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    stripe_created_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # For a PENDING event: the payment it waits for, when to try again, and when admins were told it waits.
    payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    charge_id = models.CharField(max_length=255, blank=True, db_index=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    alerted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="wallet_stripeevent_pending", condition=models.Q(status="pending")
            )
        ]

    def __str__(self) -> str:
        return f"{self.stripe_event_id} {self.type} ({self.status})"


class TopUp(models.Model):
    """A client's request to add money to their wallet by card, paid through a Stripe Checkout Session."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for payment"
        PROCESSING = "processing", "Payment processing"
        PAID = "paid", "Paid"
        FAILED = "failed", "Payment failed"
        EXPIRED = "expired", "Expired"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="topups")
    amount = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))])
    currency = models.CharField(max_length=3, default="usd")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    stripe_checkout_session_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    stripe_payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_charge_id = models.CharField(max_length=255, blank=True, db_index=True)
    checkout_url = models.URLField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="wallet_topup_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"Top-up #{self.pk} ${self.amount} ({self.status})"

    @property
    def is_paid(self) -> bool:
        return self.status == self.Status.PAID


class Refund(models.Model):
    """A refund of (part of) a top-up to the card. Written before Stripe is called (outbox), so a crash
    between our commit and the Stripe request loses nothing: a retrying job submits pending rows.
    The wallet is debited only when Stripe reports the refund succeeded."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent to Stripe"
        SUBMITTED = "submitted", "Sent to Stripe"
        SUCCEEDED = "succeeded", "Refunded"
        FAILED = "failed", "Failed"
        CANCELED = "canceled", "Canceled"

    topup = models.ForeignKey(TopUp, on_delete=models.PROTECT, related_name="refunds")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="card_refunds")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    reason = models.TextField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    stripe_refund_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    # Empty for a refund made in the Stripe Dashboard rather than on this site.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    error = models.JSONField(default=dict, blank=True)
    submit_attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="wallet_refund_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"Refund #{self.pk} ${self.amount} of top-up #{self.topup_id} ({self.status})"

    @property
    def idempotency_key(self) -> str:
        return f"refund-request:{self.pk}"


class Dispute(models.Model):
    """A chargeback opened by the card holder's bank on a top-up."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        FUNDS_WITHDRAWN = "funds_withdrawn", "Funds withdrawn"
        WON = "won", "Won"
        LOST = "lost", "Lost"
        # An inquiry (no money withdrawn) that closed without becoming a chargeback.
        WARNING_CLOSED = "warning_closed", "Inquiry closed"

    stripe_dispute_id = models.CharField(max_length=255, unique=True)
    topup = models.ForeignKey(TopUp, on_delete=models.PROTECT, related_name="disputes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="disputes")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    stripe_status = models.CharField(max_length=64, blank=True)
    reason = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Dispute {self.stripe_dispute_id} ${self.amount} ({self.status})"


class ReconciliationRun(models.Model):
    """One comparison of the ledger's top-ups and refunds with Stripe's balance transactions."""

    since = models.DateField()
    until = models.DateField()
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    is_clean = models.BooleanField(default=False)
    differences = models.JSONField(default=list, blank=True)
    ledger_count = models.PositiveIntegerField(default=0)
    stripe_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        state = "clean" if self.is_clean else f"{len(self.differences)} differences"
        return f"Reconciliation {self.since}..{self.until}: {state}"
