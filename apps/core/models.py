from django.conf import settings
from django.db import models


class AuditLogQuerySet(models.QuerySet):
    def delete(self):  # type: ignore[override]
        raise PermissionError("The audit log is append-only.")

    def update(self, **kwargs):  # type: ignore[override]
        raise PermissionError("The audit log is append-only.")


class AuditLog(models.Model):
    """Append-only record of every admin action and every money-relevant action.

    Rows are written by ``apps.core.services.audit_log_record`` only. On PostgreSQL a trigger rejects
    UPDATE and DELETE as well, so the log holds even against raw SQL.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=100, db_index=True)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    details = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AuditLogQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_type}:{self.target_id}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not self._state.adding:
            raise PermissionError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The audit log is append-only.")


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class OutboxMessage(models.Model):
    """One external side effect that must not be lost (an email, a Stripe or Agora call).

    Written in the same database transaction as the change that calls for it, so a crash between the
    commit and the call loses nothing: the dispatcher (``apps.core.outbox``) runs it after the commit and
    a beat sweep retries it with backoff until it succeeds or runs out of attempts.
    """

    name = models.CharField(max_length=100)
    kwargs = models.JSONField(default=dict)
    dedupe_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="outbox_pending_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.status}, {self.attempts} attempts)"


class FileLink(models.Model):
    """A link to one private file, for one user, until it expires (see ``apps.core.files``).

    Only the SHA-256 of the link's token is stored: the token itself is in the URL given to the user once, so
    neither a database dump nor a staff page can open anyone's file. Issuing a link is recorded by this row.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="file_links")
    storage = models.CharField(max_length=40, default="default")
    storage_key = models.CharField(max_length=500)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100, default="application/octet-stream")
    purpose = models.CharField(max_length=60)
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "purpose", "-created_at"], name="filelink_user_purpose")]

    def __str__(self) -> str:
        return f"{self.purpose} {self.filename} for user {self.user_id}"


class FileDownloadOutcome(models.TextChoices):
    SERVED = "served", "Served"
    EXPIRED = "expired", "Expired"
    WRONG_USER = "wrong_user", "Another user's link"
    UNKNOWN = "unknown", "No such link"
    MISSING = "missing", "File missing from storage"


class FileDownload(models.Model):
    """One attempt to open a file link, whatever its outcome (``link`` is empty for a token that matches none)."""

    link = models.ForeignKey(FileLink, null=True, blank=True, on_delete=models.CASCADE, related_name="downloads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    outcome = models.CharField(max_length=12, choices=FileDownloadOutcome.choices)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["link", "-at"], name="filedownload_link_at"),
            models.Index(fields=["user", "-at"], name="filedownload_user_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.outcome} link {self.link_id}"
