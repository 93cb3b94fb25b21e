"""Reads of the moderation queue. Only moderators (admins and users given the role) see reports."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from apps.core.exceptions import NotFound

from .enums import ReportAction, ReportReason, ReportStatus
from .exceptions import NotAModerator, ReportTargetNotFound
from .models import AutoHide, ModeratorGrant, Report, Suspension
from .registry import ContentSummary, moderatable_for_model, moderatable_get
from .roles import is_moderator

EARLIER_DECISIONS_SHOWN = 20


def _require_staff(viewer: Any) -> None:
    """Moderators only; anyone else is told the page does not exist."""
    if not is_moderator(viewer):
        raise NotAModerator()


def flagged_object_ids(*, type_key: str, object_ids: Iterable[int]) -> set[int]:
    """Which of ``object_ids`` (of the registered type ``type_key``) have a pending (open) flag, so that a page can
    show a warning beside them. One query; none for an empty list."""
    moderatable = moderatable_get(type_key)
    ids = {int(pk) for pk in object_ids}
    if moderatable is None or not ids:
        return set()
    content_type = ContentType.objects.get_for_model(moderatable.model)
    return set(
        Report.objects.filter(content_type=content_type, object_id__in=ids, status=ReportStatus.OPEN)
        .values_list("object_id", flat=True)
        .distinct()
    )


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
class QueueItem:
    """One reported object in the open queue: every open flag of it counted together."""

    content_type_id: int
    object_id: int
    type_label: str
    flag_count: int
    reasons: list[str]
    first_report_id: int
    first_flagged_at: Any
    is_auto_hidden: bool


def queue_items_list(*, viewer: Any) -> QuerySet[Report, dict[str, Any]]:
    """The open queue, one row per flagged object (its open flags counted), the longest-waiting first. Rows are
    dicts; ``queue_items`` turns a page of them into ``QueueItem``s."""
    from django.contrib.postgres.aggregates import ArrayAgg
    from django.db.models import Count, Min

    _require_staff(viewer)
    return (
        Report.objects.filter(status=ReportStatus.OPEN)
        .values("content_type_id", "object_id")
        .annotate(
            flag_count=Count("id"),
            first_report_id=Min("id"),
            first_flagged_at=Min("created_at"),
            reasons=ArrayAgg("reason", distinct=True, order_by="reason"),
        )
        .order_by("first_flagged_at", "first_report_id")
    )


def queue_items(rows: Iterable[dict[str, Any]]) -> list[QueueItem]:
    """A page of ``queue_items_list`` as queue items, with whether the system hid each one (one query)."""
    rows = list(rows)
    if not rows:
        return []
    from django.db.models import Q

    pending = Q(pk__in=[])
    for row in rows:
        pending |= Q(content_type_id=row["content_type_id"], object_id=row["object_id"])
    hidden = set(AutoHide.objects.filter(pending, cleared_at__isnull=True).values_list("content_type_id", "object_id"))
    labels = dict(ReportReason.choices)
    items = []
    for row in rows:
        model = ContentType.objects.get_for_id(row["content_type_id"]).model_class()
        moderatable = moderatable_for_model(model) if model is not None else None
        items.append(
            QueueItem(
                content_type_id=row["content_type_id"],
                object_id=row["object_id"],
                type_label=moderatable.label if moderatable else "Content",
                flag_count=row["flag_count"],
                reasons=[str(labels.get(reason, reason)) for reason in row["reasons"]],
                first_report_id=row["first_report_id"],
                first_flagged_at=row["first_flagged_at"],
                is_auto_hidden=(row["content_type_id"], row["object_id"]) in hidden,
            )
        )
    return items


@dataclass(frozen=True)
class EarlierDecision:
    type_label: str
    object_id: int
    action_label: str
    decided_at: Any
    moderator_email: str


@dataclass(frozen=True)
class ReportDetail:
    report: Report
    type_label: str
    content: ContentSummary | None
    other_reports: list[Report]
    type_key: str = ""
    open_reports: list[Report] = field(default_factory=list)
    is_auto_hidden: bool = False
    author: Any = None
    earlier_decisions: list[EarlierDecision] = field(default_factory=list)
    suspensions: list[Suspension] = field(default_factory=list)

    @property
    def open_reasons(self) -> list[str]:
        return sorted({report.get_reason_display() for report in self.open_reports})


def author_history(
    *, author: Any, exclude: tuple[int, int] | None = None
) -> tuple[list[EarlierDecision], list[Suspension]]:
    """Earlier moderators' decisions about content ``author`` wrote (one per object and decision), and their
    suspensions, newest first. Two queries."""
    if author is None:
        return [], []
    rows = (
        Report.objects.filter(author_id=author.pk)
        .exclude(status=ReportStatus.OPEN)
        .values("content_type_id", "object_id", "action", "decided_at", "moderator__email")
        .distinct()
        .order_by("-decided_at", "object_id")
    )
    decisions = []
    actions = dict(ReportAction.choices)
    for row in rows[:EARLIER_DECISIONS_SHOWN]:
        if exclude == (row["content_type_id"], row["object_id"]):
            continue
        model = ContentType.objects.get_for_id(row["content_type_id"]).model_class()
        moderatable = moderatable_for_model(model) if model is not None else None
        decisions.append(
            EarlierDecision(
                type_label=moderatable.label if moderatable else "Content",
                object_id=row["object_id"],
                action_label=str(actions.get(row["action"], row["action"])),
                decided_at=row["decided_at"],
                moderator_email=row["moderator__email"] or "",
            )
        )
    suspensions = list(
        Suspension.objects.filter(user_id=author.pk).select_related("created_by", "lifted_by").order_by("-starts_at")
    )
    return decisions, suspensions


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
    author = content.author if content is not None else report.author
    decisions, suspensions = author_history(author=author, exclude=(report.content_type_id, report.object_id))
    return ReportDetail(
        report=report,
        type_label=moderatable.label if moderatable else report.content_type.name,
        content=content,
        other_reports=others,
        type_key=moderatable.key if moderatable else "",
        open_reports=[row for row in [report, *others] if row.is_open],
        is_auto_hidden=AutoHide.objects.filter(
            content_type_id=report.content_type_id, object_id=report.object_id, cleared_at__isnull=True
        ).exists(),
        author=author,
        earlier_decisions=decisions,
        suspensions=suspensions,
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


@dataclass(frozen=True)
class UserModeration:
    """What moderators see of one user: suspensions, earlier decisions, moderator grants."""

    subject: Any
    suspensions: list[Suspension]
    earlier_decisions: list[EarlierDecision]
    grants: list[ModeratorGrant]


def user_moderation_get(*, viewer: Any, user_id: int) -> UserModeration:
    """One user's moderation history for a moderator. Raises ``NotFound``."""
    _require_staff(viewer)
    subject = get_user_model().objects.filter(pk=user_id).first()
    if subject is None:
        raise NotFound("That user does not exist.")
    decisions, suspensions = author_history(author=subject)
    grants = list(ModeratorGrant.objects.filter(user_id=subject.pk).select_related("granted_by", "revoked_by"))
    return UserModeration(subject=subject, suspensions=suspensions, earlier_decisions=decisions, grants=grants)


@dataclass(frozen=True)
class UserModerationSummary:
    trust_level: Any
    is_moderator: bool
    suspension: Suspension | None


def user_moderation_summary(user: Any) -> UserModerationSummary:
    """A user's trust level, moderator role and suspension in force, for the admins' user page."""
    from .guards import active_suspension
    from .trust import trust_level

    return UserModerationSummary(
        trust_level=trust_level(user), is_moderator=is_moderator(user), suspension=active_suspension(user)
    )
