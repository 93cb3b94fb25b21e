"""Write services of the moderation queue: users report content, moderators decide."""

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from apps.core.exceptions import DomainError, PermissionDeniedError
from apps.core.ratelimit import rate_limit_consume
from apps.core.services import audit_log_record
from apps.notifications.registry import notification_kind_register
from apps.notifications.services import notify

from .enums import ReportAction, ReportReason, ReportStatus
from .exceptions import ActionNotAvailable, AlreadyReported, ReportAlreadyClosed, ReportTargetNotFound
from .locks import reports_lock
from .models import Report
from .registry import ModeratableType, moderatable_for_model, moderatable_get

REPORT_RATE_LIMIT = 5
REPORT_RATE_WINDOW_SECONDS = 60
REPORT_DETAILS_MAX_LENGTH = 1000
MODERATION_WARNING_KIND = notification_kind_register("account.moderation_warning", label="A moderator's warning")
MODERATION_RESTORED_KIND = notification_kind_register(
    "account.moderation_restored", label="A moderator restored your content"
)


def report_target_get(*, reporter: Any, type_key: str, object_id: int) -> Any:
    """The object ``reporter`` wants to report, if they may see and report it; else ``ReportTargetNotFound``."""
    moderatable = moderatable_get(type_key)
    if moderatable is None or not getattr(reporter, "is_authenticated", False):
        raise ReportTargetNotFound()
    try:
        return moderatable.reportable_get(user=reporter, object_id=object_id)
    except moderatable.model.DoesNotExist:
        raise ReportTargetNotFound()


def report_create(*, reporter: Any, type_key: str, object_id: int, reason: str, details: str = "") -> Report:
    """File ``reporter``'s report of one object. At most 5 reports a minute per user; one per object."""
    if reason not in ReportReason.values:
        raise DomainError("Choose a reason for the report.")
    details = (details or "").strip()
    if len(details) > REPORT_DETAILS_MAX_LENGTH:
        raise DomainError(f"Keep the details under {REPORT_DETAILS_MAX_LENGTH} characters.")
    target = report_target_get(reporter=reporter, type_key=type_key, object_id=object_id)
    content_type = ContentType.objects.get_for_model(target)
    if Report.objects.filter(content_type=content_type, object_id=target.pk, reporter=reporter).exists():
        raise AlreadyReported()
    rate_limit_consume(
        scope="report",
        subject_id=reporter.pk,
        limit=REPORT_RATE_LIMIT,
        window_seconds=REPORT_RATE_WINDOW_SECONDS,
        message="You have sent several reports in the last minute. Please wait a moment before sending another.",
    )
    return _report_insert(
        content_type=content_type, object_id=target.pk, reporter=reporter, reason=reason, details=details
    )


@transaction.atomic(durable=True)
def _report_insert(*, content_type: ContentType, object_id: int, reporter: Any, reason: str, details: str) -> Report:
    try:
        with transaction.atomic():
            return Report.objects.create(
                content_type=content_type, object_id=object_id, reporter=reporter, reason=reason, details=details
            )
    except IntegrityError:
        raise AlreadyReported()


def _author_warn(*, author: Any, label: str) -> None:
    """Tell the author that a moderator removed their content. Inner helper (caller's transaction)."""
    notify(
        user=author,
        kind=MODERATION_WARNING_KIND,
        title=f"A moderator removed your {label.lower()}",
        body=(
            "It broke the community guidelines and is no longer shown. Repeated breaches can lead to the "
            "suspension of your account."
        ),
        email=True,
    )


def _author_restored(*, author: Any, label: str) -> None:
    """Tell a warned author that a moderator showed their content again. Inner helper (caller's transaction)."""
    notify(
        user=author,
        kind=MODERATION_RESTORED_KIND,
        title=f"A moderator restored your {label.lower()}",
        body="On a second look it is shown again, and the earlier warning about it no longer counts.",
        email=True,
    )


def _require_moderator(actor: Any) -> None:
    if not getattr(actor, "is_staff", False):
        raise PermissionDeniedError("Only moderators can do this.")


def _content_locked(*, moderatable: ModeratableType, object_id: int) -> tuple[Any, dict[int, Report]]:
    """The content (hidden or not) and every report of it, locked in primary-key order. Inner helper: the caller
    holds the transaction. The reports' locks serialise the moderators' decisions on one object."""
    content_type = ContentType.objects.get_for_model(moderatable.model)
    locked = {row.pk: row for row in reports_lock(content_type_id=content_type.pk, object_id=object_id)}
    target = moderatable.model._base_manager.filter(pk=object_id).first()
    if target is None:
        raise ReportTargetNotFound()
    return target, locked


def _reports_close(*, reports: list[Report], status: str, action: str, actor: Any, note: str) -> None:
    now = timezone.now()
    for row in reports:
        row.status = status
        row.action = action
        row.moderator = actor
        row.decision_note = note
        row.decided_at = now
        row.save(update_fields=["status", "action", "moderator", "decision_note", "decided_at"])


@transaction.atomic(durable=True)
def report_decide(
    *, actor: Any, report_id: int, action: str, note: str = "", request: HttpRequest | None = None
) -> Report:
    """A moderator closes a report: hide the content (closing every open report of it), hide it and warn its
    author, or dismiss this report.

    Audited. The reports of the object are locked first, so two moderators cannot decide the same report twice.
    The parties may be shown why the content is hidden: the report's reason, never the moderator's note.
    """
    _require_moderator(actor)
    if action not in ReportAction.values:
        raise ActionNotAvailable()
    note = (note or "").strip()[:REPORT_DETAILS_MAX_LENGTH]
    try:
        report = Report.objects.select_related("content_type").get(pk=report_id)
    except Report.DoesNotExist:
        raise ReportTargetNotFound("That report does not exist.")
    locked = {row.pk: row for row in reports_lock(content_type_id=report.content_type_id, object_id=report.object_id)}
    report = locked[report.pk]
    if not report.is_open:
        raise ReportAlreadyClosed()

    if action in (ReportAction.HIDE, ReportAction.WARN):
        model = report.content_type.model_class()
        moderatable = moderatable_for_model(model) if model is not None else None
        if moderatable is None:
            raise ActionNotAvailable()
        target = moderatable.model._base_manager.filter(pk=report.object_id).first()
        if target is None:
            raise ActionNotAvailable("The reported content no longer exists; dismiss the report instead.")
        moderatable.hide(obj=target, actor=actor, reason=report.get_reason_display())
        if action == ReportAction.WARN:
            _author_warn(author=moderatable.summary(target).author, label=moderatable.label)
        closing = [row for row in locked.values() if row.is_open]
        status = str(ReportStatus.RESOLVED)
    else:
        closing = [report]
        status = str(ReportStatus.DISMISSED)

    _reports_close(reports=closing, status=status, action=action, actor=actor, note=note)
    audit_log_record(
        actor=actor,
        action=f"moderation.report_{status}",
        target=report,
        details={
            "action": action,
            "content_type": report.content_type.natural_key(),
            "object_id": report.object_id,
            "closed_report_ids": [row.pk for row in closing],
            "note": note,
        },
        request=request,
    )
    return report


@transaction.atomic(durable=True)
def content_hide(*, actor: Any, type_key: str, object_id: int, reason: str, request: HttpRequest | None = None) -> Any:
    """A moderator hides one piece of content without waiting for a report (the admin pages' entry point, e.g.
    the reviews list). ``reason`` is shown to the parties. Every open report of it is closed as resolved. Audited.
    """
    _require_moderator(actor)
    moderatable = moderatable_get(type_key)
    if moderatable is None:
        raise ReportTargetNotFound()
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Give the reason for hiding this, in words its author and reader can be shown.")
    if len(reason) > REPORT_DETAILS_MAX_LENGTH:
        raise DomainError(f"Keep the reason under {REPORT_DETAILS_MAX_LENGTH} characters.")
    target, locked = _content_locked(moderatable=moderatable, object_id=object_id)
    if not moderatable.hide(obj=target, actor=actor, reason=reason):
        raise DomainError(f"This {moderatable.label.lower()} is already hidden.")
    closing = [row for row in locked.values() if row.is_open]
    _reports_close(
        reports=closing, status=str(ReportStatus.RESOLVED), action=str(ReportAction.HIDE), actor=actor, note=reason
    )
    audit_log_record(
        actor=actor,
        action="moderation.content_hidden",
        target=target,
        details={"type": type_key, "reason": reason, "closed_report_ids": [row.pk for row in closing]},
        request=request,
    )
    return target


@transaction.atomic(durable=True)
def content_unhide(
    *, actor: Any, type_key: str, object_id: int, note: str = "", request: HttpRequest | None = None
) -> Any:
    """A moderator shows hidden content again (a decision reversed on a second look). Audited; an author who was
    warned about it is told it is restored. The closed reports keep their history."""
    _require_moderator(actor)
    moderatable = moderatable_get(type_key)
    if moderatable is None:
        raise ReportTargetNotFound()
    note = (note or "").strip()[:REPORT_DETAILS_MAX_LENGTH]
    target, locked = _content_locked(moderatable=moderatable, object_id=object_id)
    if not moderatable.unhide(obj=target, actor=actor):
        raise DomainError(f"This {moderatable.label.lower()} is not hidden.")
    warned = any(row.action == ReportAction.WARN for row in locked.values())
    if warned:
        _author_restored(author=moderatable.summary(target).author, label=moderatable.label)
    audit_log_record(
        actor=actor,
        action="moderation.content_unhidden",
        target=target,
        details={
            "type": type_key,
            "note": note,
            "report_ids": sorted(locked),
            "author_told": warned,
        },
        request=request,
    )
    return target
