from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from .enums import AutoHideOutcome, ReportAction, ReportReason, ReportStatus


class Report(models.Model):
    """One user's report of one piece of content (any registered type), and the moderator's decision."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports_made")
    # Who wrote the reported content, recorded when it is reported: the queue shows earlier decisions about them.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="reports_against"
    )
    reason = models.CharField(max_length=20, choices=ReportReason.choices)
    details = models.TextField(max_length=1000, blank=True)
    status = models.CharField(max_length=10, choices=ReportStatus.choices, default=ReportStatus.OPEN)
    action = models.CharField(max_length=10, choices=ReportAction.choices, blank=True)
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="reports_decided"
    )
    decision_note = models.TextField(max_length=1000, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "reporter"], name="report_once_per_reporter_and_object"
            ),
            models.CheckConstraint(condition=Q(reason__in=ReportReason.values), name="report_reason_valid"),
            models.CheckConstraint(
                condition=(Q(status=ReportStatus.OPEN, action="", decided_at__isnull=True))
                | (~Q(status=ReportStatus.OPEN) & ~Q(action="") & Q(decided_at__isnull=False)),
                name="report_decision_matches_status",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="report_queue_idx"),
            models.Index(fields=["content_type", "object_id"], name="report_target_idx"),
            models.Index(fields=["author", "decided_at"], name="report_author_idx"),
        ]

    def __str__(self) -> str:
        return f"Report {self.pk} ({self.get_reason_display()})"

    @property
    def is_open(self) -> bool:
        return self.status == ReportStatus.OPEN


class AutoHide(models.Model):
    """Content hidden by the system because enough distinct users flagged it, until a moderator reviews it.

    At most one pending (not cleared) row per object. Dismissing the reports shows the content again; any other
    decision clears the row and leaves the content as the decision made it.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    flag_count = models.PositiveSmallIntegerField()
    hidden_at = models.DateTimeField()
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(max_length=10, choices=AutoHideOutcome.choices, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id"],
                condition=Q(cleared_at__isnull=True),
                name="autohide_one_pending_per_object",
            ),
            models.CheckConstraint(
                condition=Q(cleared_at__isnull=True, outcome="") | Q(cleared_at__isnull=False) & ~Q(outcome=""),
                name="autohide_outcome_matches_cleared",
            ),
        ]

    def __str__(self) -> str:
        return f"Auto-hide of {self.content_type_id}:{self.object_id}"


class Suspension(models.Model):
    """A moderator's suspension of one user: from ``starts_at`` until ``ends_at`` (None: until lifted)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="suspensions")
    reason = models.TextField(max_length=1000)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    report = models.ForeignKey(Report, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="suspension_ends_after_start",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="suspension_reason_given"),
            models.CheckConstraint(
                condition=Q(lifted_by__isnull=True) | Q(lifted_at__isnull=False),
                name="suspension_lifted_by_needs_lifted_at",
            ),
        ]
        indexes = [models.Index(fields=["user", "lifted_at", "starts_at"], name="suspension_user_idx")]

    def __str__(self) -> str:
        return f"Suspension {self.pk} of user {self.user_id}"


class ModeratorGrant(models.Model):
    """An admin made a user a moderator (``revoked_at`` set: no longer). At most one active grant per user."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="moderator_grants")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    granted_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-granted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(revoked_at__isnull=True), name="moderatorgrant_one_active_per_user"
            ),
        ]

    def __str__(self) -> str:
        return f"Moderator grant {self.pk} of user {self.user_id}"


class TrustOverride(models.Model):
    """An admin set a user's trust level by hand, instead of the computed one."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="trust_override")
    level = models.PositiveSmallIntegerField()
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    set_at = models.DateTimeField()

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(level__lte=2), name="trustoverride_level_known")]

    def __str__(self) -> str:
        return f"Trust level {self.level} for user {self.user_id}"
