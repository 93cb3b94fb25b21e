from django.db import models


class PolicySlug(models.TextChoices):
    TERMS = "terms", "Terms of Service"
    PRIVACY = "privacy", "Privacy Policy"
    REFUNDS = "refunds", "Refund Policy"


class TicketStatus(models.TextChoices):
    OPEN = "open", "Open"
    ANSWERED = "answered", "Answered"
    CLOSED = "closed", "Closed"
