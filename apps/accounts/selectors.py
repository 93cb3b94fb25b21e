"""Reads for accounts. Every selector scopes to what its viewer may see."""

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from apps.core.exceptions import NotFound
from apps.core.memo import shared_read
from apps.core.models import AuditLog

from .enums import ApplicationStatus, Role
from .models import ReaderApplication, User


def _require_staff(viewer: User) -> None:
    if not getattr(viewer, "is_staff", False):
        raise NotFound()


# --- The applicant's own view ------------------------------------------------------------------------


def reader_application_latest_for_applicant(*, viewer: User) -> ReaderApplication | None:
    """The viewer's most recent application, or None. Nobody sees anyone else's application here."""
    return (
        ReaderApplication.objects.filter(applicant=viewer)
        .select_related("reviewed_by")
        .order_by("-created_at", "-pk")
        .first()
    )


def reader_application_get_for_applicant(*, viewer: User, application_id: int) -> ReaderApplication:
    """One of the viewer's own applications; someone else's answers 404."""
    try:
        return ReaderApplication.objects.get(pk=application_id, applicant=viewer)
    except ReaderApplication.DoesNotExist:
        raise NotFound("That application does not exist.")


# --- Admin review -----------------------------------------------------------------------------------


def reader_application_list_for_review(*, viewer: User, status: str = "") -> QuerySet[ReaderApplication]:
    """Applications for the review queue: pending first (oldest first, as a queue), then decided ones, newest first."""
    _require_staff(viewer)
    queryset = ReaderApplication.objects.select_related("applicant", "reviewed_by")
    if status in ApplicationStatus.values:
        queryset = queryset.filter(status=status)
    return queryset.annotate(
        is_pending_rank=Case(
            When(status=ApplicationStatus.PENDING, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
    ).order_by("is_pending_rank", "-reviewed_at", "created_at", "pk")


def reader_application_get_for_review(*, viewer: User, application_id: int) -> ReaderApplication:
    _require_staff(viewer)
    try:
        return ReaderApplication.objects.select_related("applicant", "reviewed_by").get(pk=application_id)
    except ReaderApplication.DoesNotExist:
        raise NotFound("That application does not exist.")


def reader_application_pending_count(*, viewer: User) -> int:
    _require_staff(viewer)
    return ReaderApplication.objects.filter(status=ApplicationStatus.PENDING).count()


def reader_application_history_for_review(*, viewer: User, applicant: User) -> QuerySet[ReaderApplication]:
    _require_staff(viewer)
    return ReaderApplication.objects.filter(applicant=applicant).select_related("reviewed_by").order_by("-created_at")


# --- Users (admin) -------------------------------------------------------------------------------------


def user_list_for_admin(*, viewer: User, query: str = "", role: str = "") -> QuerySet[User]:
    _require_staff(viewer)
    queryset = User.objects.all()
    query = query.strip()
    if query:
        queryset = queryset.filter(email__icontains=query)
    if role in Role.values:
        queryset = queryset.filter(role=role)
    return queryset.order_by("email")


def user_get_for_admin(*, viewer: User, user_id: int) -> User:
    _require_staff(viewer)
    try:
        return User.objects.get(pk=user_id)
    except User.DoesNotExist:
        raise NotFound("That user does not exist.")


def user_role_history_for_admin(*, viewer: User, user: User) -> QuerySet[AuditLog]:
    _require_staff(viewer)
    return (
        AuditLog.objects.filter(
            action="accounts.role_changed", target_type=user._meta.label_lower, target_id=str(user.pk)
        )
        .select_related("actor")
        .order_by("-created_at", "-id")
    )


# --- Settings --------------------------------------------------------------------------------------------


@shared_read
def user_has_totp(*, user: User) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


# --- Aggregates for the admins' analytics page (apps.analytics) ------------------------------------------


def user_signups_by_bucket(
    *, viewer: User, start_at: datetime, end_at: datetime, trunc: Callable[[Any], Any]
) -> dict[date, dict[str, int]]:
    """Per bucket (``trunc`` of the join date, in the viewer's zone), the accounts created in [start_at, end_at),
    counted by their role today: one grouped query. Admins only."""
    _require_staff(viewer)
    rows = (
        User.objects.filter(date_joined__gte=start_at, date_joined__lt=end_at)
        .annotate(bucket=trunc("date_joined"))
        .values("bucket")
        .annotate(**{role: Count("id", filter=Q(role=role)) for role in Role.values})
        .order_by("bucket")
    )
    return {row["bucket"]: {role: row[role] for role in Role.values} for row in rows}


def user_role_counts(*, viewer: User) -> dict[str, int]:
    """How many active accounts each role has today. Admins only."""
    _require_staff(viewer)
    totals = User.objects.filter(is_active=True).aggregate(
        **{role: Count("id", filter=Q(role=role)) for role in Role.values}
    )
    return {role: totals[role] or 0 for role in Role.values}
