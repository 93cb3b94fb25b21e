"""Choices of the shop."""

from django.db import models


class ProductKind(models.TextChoices):
    DIGITAL = "digital", "Digital"
    PHYSICAL = "physical", "Physical"


class OrderStatus(models.TextChoices):
    PENDING = "pending", "Awaiting payment"
    PAID = "paid", "Paid"
    FULFILLED = "fulfilled", "Fulfilled"
    PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
    REFUNDED = "refunded", "Refunded"
    CANCELED = "canceled", "Canceled"


class PaymentMethod(models.TextChoices):
    STRIPE = "stripe", "Card (Stripe Checkout)"
    WALLET = "wallet", "Wallet"


class ReservationStatus(models.TextChoices):
    HELD = "held", "Held"
    CONSUMED = "consumed", "Sold"
    RELEASED = "released", "Released"


class RefundStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    SUBMITTED = "submitted", "Submitted to Stripe"
    SUCCEEDED = "succeeded", "Refunded"
    FAILED = "failed", "Failed"


# An order whose money is in: what the buyer may download, and what refunds may start from.
PAID_STATUSES = (OrderStatus.PAID, OrderStatus.FULFILLED, OrderStatus.PARTIALLY_REFUNDED)
