"""Data exports and account deletion requests (SPEC §12). What each app exports or erases is registered with
``apps.core.privacy``; these rows only track each request's progress."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from .enums import ACTIVE_EXPORT_STATUSES, OPEN_DELETION_STATUSES, DeletionStatus, ExportStatus


class DataExport(models.Model):
    """One request for a copy of a user's data: a ZIP (``data.json`` and their uploads) in the private storage."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_exports")
    status = models.CharField(max_length=10, choices=ExportStatus.choices, default=ExportStatus.REQUESTED)
    storage_key = models.CharField(max_length=300, blank=True)
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    requested_at = models.DateTimeField(auto_now_add=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    # When the file is deleted (a ready export); each download link lives at most until then.
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status__in=sorted(ACTIVE_EXPORT_STATUSES)),
                name="privacy_export_one_active_per_user",
            ),
            models.CheckConstraint(condition=Q(status__in=ExportStatus.values), name="privacy_export_status_valid"),
            models.CheckConstraint(
                condition=~Q(status=ExportStatus.READY)
                | (~Q(storage_key="") & Q(ready_at__isnull=False, expires_at__isnull=False)),
                name="privacy_export_ready_has_file",
            ),
        ]
        indexes = [
            models.Index(fields=["expires_at"], condition=Q(status=ExportStatus.READY), name="privacy_export_due_idx"),
        ]

    def __str__(self) -> str:
        return f"Data export {self.pk} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_EXPORT_STATUSES


class DeletionRequest(models.Model):
    """A user's request to delete their account: confirmed by email, carried out after the grace period."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="deletion_requests")
    status = models.CharField(max_length=10, choices=DeletionStatus.choices, default=DeletionStatus.PENDING)
    requested_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # Confirmed requests: when the anonymisation runs (the grace period's end).
    scheduled_for = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # What held the deletion back at its last attempt (each app's blockers), shown to the user.
    blocked_reasons = models.JSONField(default=list, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status__in=sorted(OPEN_DELETION_STATUSES)),
                name="privacy_deletion_one_open_per_user",
            ),
            models.CheckConstraint(condition=Q(status__in=DeletionStatus.values), name="privacy_deletion_status_valid"),
            models.CheckConstraint(
                condition=~Q(status__in=[DeletionStatus.SCHEDULED, DeletionStatus.COMPLETED])
                | Q(confirmed_at__isnull=False, scheduled_for__isnull=False),
                name="privacy_deletion_confirmed_has_date",
            ),
        ]
        indexes = [
            models.Index(
                fields=["scheduled_for"],
                condition=Q(status=DeletionStatus.SCHEDULED),
                name="privacy_deletion_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Deletion request {self.pk} ({self.status})"
