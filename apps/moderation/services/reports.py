"""Flags and decisions: users flag content, enough flags hide it, moderators decide from the queue."""

from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from apps.core.exceptions import DomainError, InvalidInputError
from apps.core.ratelimit import rate_limit_consume
from apps.core.services import audit_log_record
from apps.notifications.services import notify

from ..enums import AutoHideOutcome, ReportAction, ReportReason, ReportStatus, SuspensionPeriod
from ..exceptions import ActionNotAvailable, AlreadyReported, ReportAlreadyClosed, ReportTargetNotFound
from ..locks import auto_hide_pending_lock, reports_lock
from ..models import AutoHide, Report
from ..registry import ModeratableType, moderatable_for_model, moderatable_get
from .common import (
    AUTO_HIDE_REASON,
    MODERATION_AUTO_HIDDEN_KIND,
    MODERATION_RESTORED_KIND,
    MODERATION_WARNING_KIND,
    REPORT_DETAILS_MAX_LENGTH,
    REPORT_RATE_LIMIT,
    REPORT_RATE_WINDOW_SECONDS,
    _require_moderator,
)
from .suspensions import _suspension_create, _suspension_reason_check, _suspension_target_check, suspension_until


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
    """File ``reporter``'s flag of one object. At most 5 a minute per user; one per user and object.

    A suspended user may still flag. When the object reaches ``settings.MODERATION_AUTO_HIDE_FLAGS`` distinct users
    with an open flag it is hidden through its type's ``hide`` until a moderator reviews it (``AutoHide``), its
    author is told, and the hiding is audited as done by the system.
    """
    if reason not in ReportReason.values:
        raise DomainError("Choose a reason for the report.")
    details = (details or "").strip()
    if len(details) > REPORT_DETAILS_MAX_LENGTH:
        raise DomainError(f"Keep the details under {REPORT_DETAILS_MAX_LENGTH} characters.")
    moderatable = moderatable_get(type_key)
    target = report_target_get(reporter=reporter, type_key=type_key, object_id=object_id)
    assert moderatable is not None  # report_target_get refused unknown types
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
    author = moderatable.summary(target).author
    return _report_insert(
        moderatable=moderatable,
        content_type=content_type,
        target=target,
        reporter=reporter,
        author=author,
        reason=reason,
        details=details,
    )


@transaction.atomic(durable=True)
def _report_insert(
    *,
    moderatable: ModeratableType,
    content_type: ContentType,
    target: Any,
    reporter: Any,
    author: Any,
    reason: str,
    details: str,
) -> Report:
    # The object's reports are locked first: two flags arriving together are counted one after the other, so
    # exactly one of them hides the object.
    list(reports_lock(content_type_id=content_type.pk, object_id=target.pk))
    try:
        with transaction.atomic():
            report = Report.objects.create(
                content_type=content_type,
                object_id=target.pk,
                reporter=reporter,
                author=author if getattr(author, "pk", None) else None,
                reason=reason,
                details=details,
            )
    except IntegrityError:
        raise AlreadyReported()
    _auto_hide_if_flagged(moderatable=moderatable, content_type=content_type, target=target, author=author)
    return report


def _auto_hide_if_flagged(*, moderatable: ModeratableType, content_type: ContentType, target: Any, author: Any) -> None:
    """Hide ``target`` once enough distinct users hold an open flag on it. Inner helper: the caller holds the
    transaction and the object's report locks."""
    open_reports = list(
        Report.objects.filter(content_type=content_type, object_id=target.pk, status=ReportStatus.OPEN)
        .order_by("pk")
        .values_list("pk", "reporter_id")
    )
    flaggers = {reporter_id for _, reporter_id in open_reports}
    if len(flaggers) < settings.MODERATION_AUTO_HIDE_FLAGS:
        return
    if auto_hide_pending_lock(content_type_id=content_type.pk, object_id=target.pk) is not None:
        return
    if not moderatable.hide(obj=target, actor=None, reason=AUTO_HIDE_REASON):
        return  # already hidden by a moderator
    AutoHide.objects.create(
        content_type=content_type, object_id=target.pk, flag_count=len(flaggers), hidden_at=timezone.now()
    )
    if getattr(author, "pk", None):
        notify(
            user=author,
            kind=MODERATION_AUTO_HIDDEN_KIND,
            title=f"Your {moderatable.label.lower()} is hidden until a moderator reviews it",
            body=(
                "Several members reported it, so it is hidden for now. A moderator will look at it; if the reports "
                "are unfounded it is shown again."
            ),
        )
    audit_log_record(
        actor=None,
        action="moderation.content_auto_hidden",
        target=target,
        details={
            "by": "system",
            "type": moderatable.key,
            "flag_count": len(flaggers),
            "report_ids": [pk for pk, _ in open_reports],
        },
    )


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
    """Tell an author whose content was hidden that a moderator showed it again. Inner helper (caller's
    transaction)."""
    notify(
        user=author,
        kind=MODERATION_RESTORED_KIND,
        title=f"A moderator restored your {label.lower()}",
        body="On a second look it is shown again, and it does not count against you.",
        email=True,
    )


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


def _auto_hide_clear(*, content_type_id: int, object_id: int, actor: Any, outcome: str) -> bool:
    """End the pending automatic hiding of one object, if any. Inner helper: the caller holds the transaction and
    the object's report locks. Returns whether there was one."""
    pending = auto_hide_pending_lock(content_type_id=content_type_id, object_id=object_id)
    if pending is None:
        return False
    pending.cleared_at = timezone.now()
    pending.cleared_by = actor
    pending.outcome = outcome
    pending.save(update_fields=["cleared_at", "cleared_by", "outcome"])
    return True


def _author_told(*, author: Any, action: str, label: str) -> None:
    """Tell the author what a moderator did to their content (in the app and by email). Inner helper."""
    if not getattr(author, "pk", None):
        return
    if action == ReportAction.WARN:
        _author_warn(author=author, label=label)
        return
    if action in (ReportAction.HIDE, ReportAction.DELETE):
        verb = "deleted" if action == ReportAction.DELETE else "hid"
        notify(
            user=author,
            kind=MODERATION_WARNING_KIND,
            title=f"A moderator {verb} your {label.lower()}",
            body="It broke the community guidelines and is no longer shown.",
            email=True,
        )


@transaction.atomic(durable=True)
def report_decide(
    *,
    actor: Any,
    report_id: int,
    action: str,
    note: str = "",
    suspension_period: str = "",
    suspension_reason: str = "",
    request: HttpRequest | None = None,
) -> Report:
    """A moderator decides on one reported item (every open report of the object at once):

    - hide, delete (soft, kept for the audit; a type without ``delete`` is hidden), warn (hide and warn the
      author), suspend (hide and suspend the author for ``suspension_period`` with ``suspension_reason``): the
      reports are resolved and the author is told in the app and by email;
    - dismiss: the reports are dismissed; content the system hid because of them is shown again.

    Audited. The reports of the object are locked first, so two moderators cannot decide the same item twice.
    The parties may be shown why the content is hidden: the report's reason, never the moderator's note.
    """
    _require_moderator(actor)
    if action not in ReportAction.values:
        raise ActionNotAvailable()
    note = (note or "").strip()[:REPORT_DETAILS_MAX_LENGTH]
    suspension_reason = (suspension_reason or "").strip()
    if action == ReportAction.SUSPEND:
        if suspension_period not in SuspensionPeriod.values:
            raise InvalidInputError("Choose how long the suspension lasts.")
        _suspension_reason_check(suspension_reason)
    try:
        report = Report.objects.select_related("content_type").get(pk=report_id)
    except Report.DoesNotExist:
        raise ReportTargetNotFound("That report does not exist.")
    locked = {row.pk: row for row in reports_lock(content_type_id=report.content_type_id, object_id=report.object_id)}
    report = locked[report.pk]
    if not report.is_open:
        raise ReportAlreadyClosed()
    model = report.content_type.model_class()
    moderatable = moderatable_for_model(model) if model is not None else None
    target = moderatable.model._base_manager.filter(pk=report.object_id).first() if moderatable else None
    closing = [row for row in locked.values() if row.is_open]
    details: dict[str, Any] = {
        "action": action,
        "content_type": report.content_type.natural_key(),
        "object_id": report.object_id,
        "closed_report_ids": [row.pk for row in closing],
        "note": note,
    }

    if action == ReportAction.DISMISS:
        status = str(ReportStatus.DISMISSED)
        was_auto_hidden = _auto_hide_clear(
            content_type_id=report.content_type_id,
            object_id=report.object_id,
            actor=actor,
            outcome=str(AutoHideOutcome.DISMISSED),
        )
        if was_auto_hidden and moderatable is not None and target is not None:
            details["shown_again"] = moderatable.unhide(obj=target, actor=actor)
            if details["shown_again"]:
                _author_restored(author=moderatable.summary(target).author, label=moderatable.label)
    else:
        if moderatable is None or target is None:
            raise ActionNotAvailable("The reported content no longer exists; dismiss the reports instead.")
        author = moderatable.summary(target).author
        if action == ReportAction.SUSPEND:
            _suspension_target_check(moderator=actor, user=author)
        shown_reason = report.get_reason_display()
        if action == ReportAction.DELETE and moderatable.delete is not None:
            moderatable.delete(obj=target, actor=actor, reason=shown_reason)
        else:
            details["deleted_as_hidden"] = action == ReportAction.DELETE
            moderatable.hide(obj=target, actor=actor, reason=shown_reason)
        _auto_hide_clear(
            content_type_id=report.content_type_id,
            object_id=report.object_id,
            actor=actor,
            outcome=str(AutoHideOutcome.RESOLVED),
        )
        if action == ReportAction.SUSPEND:
            suspension = _suspension_create(
                moderator=actor,
                user=author,
                reason=suspension_reason,
                until=suspension_until(suspension_period),
                report=report,
                request=request,
            )
            details["suspension_id"] = suspension.pk
        else:
            _author_told(author=author, action=action, label=moderatable.label)
        status = str(ReportStatus.RESOLVED)

    _reports_close(reports=closing, status=status, action=action, actor=actor, note=note)
    audit_log_record(actor=actor, action=f"moderation.report_{status}", target=report, details=details, request=request)
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
    """A moderator shows hidden (or softly deleted) content again (a decision reversed on a second look, from the
    queue's history). Audited; an author who was warned about it is told it is restored. The closed reports keep
    their history; content the system hid that is still pending review is shown and its open reports dismissed."""
    _require_moderator(actor)
    moderatable = moderatable_get(type_key)
    if moderatable is None:
        raise ReportTargetNotFound()
    note = (note or "").strip()[:REPORT_DETAILS_MAX_LENGTH]
    target, locked = _content_locked(moderatable=moderatable, object_id=object_id)
    if not moderatable.unhide(obj=target, actor=actor):
        raise DomainError(f"This {moderatable.label.lower()} is not hidden.")
    content_type = ContentType.objects.get_for_model(moderatable.model)
    was_auto_hidden = _auto_hide_clear(
        content_type_id=content_type.pk, object_id=target.pk, actor=actor, outcome=str(AutoHideOutcome.UNHIDDEN)
    )
    dismissed = [row for row in locked.values() if row.is_open] if was_auto_hidden else []
    _reports_close(
        reports=dismissed, status=str(ReportStatus.DISMISSED), action=str(ReportAction.DISMISS), actor=actor, note=note
    )
    removed = any(
        row.action in (ReportAction.WARN, ReportAction.HIDE, ReportAction.DELETE, ReportAction.SUSPEND)
        for row in locked.values()
    )
    if removed:
        _author_restored(author=moderatable.summary(target).author, label=moderatable.label)
    audit_log_record(
        actor=actor,
        action="moderation.content_unhidden",
        target=target,
        details={
            "type": type_key,
            "note": note,
            "report_ids": sorted(locked),
            "dismissed_report_ids": [row.pk for row in dismissed],
            "author_told": removed,
        },
        request=request,
    )
    return target
