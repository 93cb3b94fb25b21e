"""Reads of the moderation queue. Only moderators (admins) see reports."""

from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from apps.core.exceptions import NotFound, PermissionDeniedError

from .enums import ReportStatus
from .exceptions import ReportTargetNotFound
from .models import Report
from .registry import ContentSummary, moderatable_for_model, moderatable_get


def _require_staff(viewer: Any) -> None:
    if not getattr(viewer, "is_staff", False):
        raise PermissionDeniedError()


def report_queue_list(*, viewer: Any, status: str = "open") -> QuerySet[Report]:
    """Reports in ``status``, oldest first (the queue is worked in arrival order)."""
    _require_staff(viewer)
    if status not in ReportStatus.values:
        status = "open"
    qs = Report.objects.filter(status=status).select_related("content_type", "reporter", "moderator")
    return qs.order_by("created_at", "id") if status == ReportStatus.OPEN else qs.order_by("-decided_at", "-id")


def report_type_label(report: Report) -> str:
    """The registered label of what ``report`` is about ("Review", "Reading chat message"); no query when the
    report was loaded with its content type."""
    model = report.content_type.model_class()
    moderatable = moderatable_for_model(model) if model is not None else None
    return moderatable.label if moderatable is not None else str(report.content_type.name).capitalize()


@dataclass(frozen=True)
class ReportDetail:
    report: Report
    type_label: str
    content: ContentSummary | None
    other_reports: list[Report]
    type_key: str = ""


def report_detail_get(*, viewer: Any, report_id: int) -> ReportDetail:
    """One report with the reported content as a moderator sees it. Raises ``NotFound``."""
    _require_staff(viewer)
    report = Report.objects.select_related("content_type", "reporter", "moderator").filter(pk=report_id).first()
    if report is None:
        raise NotFound("That report does not exist.")
    model = report.content_type.model_class()
    moderatable = moderatable_for_model(model) if model is not None else None
    content = None
    if moderatable is not None:
        target = moderatable.model._base_manager.filter(pk=report.object_id).first()
        content = moderatable.summary(target) if target is not None else None
    others = list(
        Report.objects.filter(content_type=report.content_type, object_id=report.object_id)
        .exclude(pk=report.pk)
        .select_related("reporter")
        .order_by("created_at")
    )
    return ReportDetail(
        report=report,
        type_label=moderatable.label if moderatable else report.content_type.name,
        content=content,
        other_reports=others,
        type_key=moderatable.key if moderatable else "",
    )


@dataclass(frozen=True)
class ContentDetail:
    type_key: str
    type_label: str
    object_id: int
    content: ContentSummary
    reports: list[Report]


def content_detail_get(*, viewer: Any, type_key: str, object_id: int) -> ContentDetail:
    """One piece of registered content as a moderator sees it (hidden or not), with every report of it.
    Raises ``ReportTargetNotFound`` for an unknown type or object."""
    _require_staff(viewer)
    moderatable = moderatable_get(type_key)
    if moderatable is None:
        raise ReportTargetNotFound()
    target = moderatable.model._base_manager.filter(pk=object_id).first()
    if target is None:
        raise ReportTargetNotFound()
    reports = list(
        Report.objects.filter(content_type=ContentType.objects.get_for_model(moderatable.model), object_id=target.pk)
        .select_related("reporter", "moderator")
        .order_by("created_at", "id")
    )
    return ContentDetail(
        type_key=moderatable.key,
        type_label=moderatable.label,
        object_id=target.pk,
        content=moderatable.summary(target),
        reports=reports,
    )
