from django.db import models


class ReportReason(models.TextChoices):
    SPAM = "spam", "Spam or advertising"
    HARASSMENT = "harassment", "Harassment or abuse"
    SCAM = "scam", "Scam or request for off-platform payment"
    INAPPROPRIATE = "inappropriate", "Sexual or otherwise inappropriate content"
    OTHER = "other", "Something else"


class ReportStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"
    DISMISSED = "dismissed", "Dismissed"


class ReportAction(models.TextChoices):
    """What a moderator did when closing a report."""

    HIDE = "hide", "Hide the content"
    WARN = "warn", "Hide the content and warn its author"
    DISMISS = "dismiss", "Dismiss the report"
