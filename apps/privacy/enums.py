from django.db import models


class ExportStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    BUILDING = "building", "Being prepared"
    READY = "ready", "Ready to download"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"


# One export at a time: a new request waits until these are over (a ready one is replaced by a new request).
ACTIVE_EXPORT_STATUSES = frozenset({ExportStatus.REQUESTED, ExportStatus.BUILDING})


class DeletionStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the emailed confirmation"
    SCHEDULED = "scheduled", "Scheduled"
    CANCELLED = "cancelled", "Cancelled"
    COMPLETED = "completed", "Completed"


OPEN_DELETION_STATUSES = frozenset({DeletionStatus.PENDING, DeletionStatus.SCHEDULED})
