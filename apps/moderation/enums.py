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
    DELETE = "delete", "Delete the content (kept for the audit)"
    WARN = "warn", "Hide the content and warn its author"
    SUSPEND = "suspend", "Hide the content and suspend its author"
    DISMISS = "dismiss", "Dismiss the reports (an automatically hidden item is shown again)"


class SuspensionPeriod(models.TextChoices):
    """How long a suspension lasts; the value is the number of days, or "lifted" for until a moderator lifts it."""

    DAY = "1", "1 day"
    WEEK = "7", "7 days"
    MONTH = "30", "30 days"
    UNTIL_LIFTED = "lifted", "Until a moderator lifts it"


class AutoHideOutcome(models.TextChoices):
    """How an automatically hidden item left the pending state."""

    DISMISSED = "dismissed", "Reports dismissed, shown again"
    RESOLVED = "resolved", "A moderator's decision kept it hidden"
    UNHIDDEN = "unhidden", "Shown again by a moderator"
