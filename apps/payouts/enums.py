from django.db import models


class PayoutStatus(models.TextChoices):
    PENDING = "pending", "On its way"
    PAID = "paid", "Paid"
    FAILED = "failed", "Failed, returned to earnings"
    REVERSED = "reversed", "Reversed, returned to earnings"


class PayoutSource(models.TextChoices):
    WEEKLY = "weekly", "Weekly payout"
    REQUEST = "request", "Requested payout"
