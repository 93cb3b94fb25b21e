"""Suspensions: a moderator suspends a user for a period or until lifted, or lifts it."""

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from apps.core.exceptions import InvalidInputError, InvalidStateError
from apps.core.services import audit_log_record
from apps.notifications.services import notify

from ..enums import SuspensionPeriod
from ..exceptions import ActionNotAvailable
from ..guards import suspension_cache_clear, suspension_end_text
from ..locks import user_lock
from ..models import Report, Suspension
from .common import (
    REPORT_DETAILS_MAX_LENGTH,
    SUSPENDED_KIND,
    SUSPENSION_LIFTED_KIND,
    _require_moderator,
)


def suspension_until(period: str, *, now: datetime | None = None) -> datetime | None:
    """The end of a suspension of ``period`` (a ``SuspensionPeriod`` value) starting ``now``; None: until lifted."""
    if period not in SuspensionPeriod.values:
        raise InvalidInputError("Choose how long the suspension lasts.")
    if period == SuspensionPeriod.UNTIL_LIFTED:
        return None
    return (now or timezone.now()) + timedelta(days=int(period))


def _suspension_reason_check(reason: str) -> None:
    if not reason:
        raise InvalidInputError("Give the reason for the suspension; the user is shown it.")
    if len(reason) > REPORT_DETAILS_MAX_LENGTH:
        raise InvalidInputError(f"Keep the reason under {REPORT_DETAILS_MAX_LENGTH} characters.")


def _suspension_target_check(*, moderator: Any, user: Any) -> None:
    if not getattr(user, "pk", None):
        raise ActionNotAvailable("This content has no author to suspend.")
    if user.pk == moderator.pk:
        raise InvalidInputError("You cannot suspend yourself.")
    if user.is_staff:
        raise InvalidInputError("An admin cannot be suspended; an admin must change their role first.")


def _suspension_create(
    *,
    moderator: Any,
    user: Any,
    reason: str,
    until: datetime | None,
    report: Report | None,
    request: HttpRequest | None,
) -> Suspension:
    """Suspend ``user`` from now until ``until`` (None: until lifted), replacing any suspension in force. Tells the
    user (in the app and by email) and audits it. Inner helper: the caller holds the transaction."""
    now = timezone.now()
    if until is not None and until <= now:
        raise InvalidInputError("The end of the suspension must be in the future.")
    user = user_lock(user_id=user.pk)
    replaced = list(
        Suspension.objects.filter(user_id=user.pk, lifted_at__isnull=True)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .values_list("pk", flat=True)
    )
    Suspension.objects.filter(pk__in=replaced).update(lifted_at=now, lifted_by=moderator)
    suspension = Suspension.objects.create(
        user=user, reason=reason, starts_at=now, ends_at=until, created_by=moderator, report=report
    )
    end = suspension_end_text(ends_at=until, zone_name=user.timezone)
    notify(
        user=user,
        kind=SUSPENDED_KIND,
        title="Your account is suspended",
        body=(
            f"A moderator suspended your account {end}. Reason: {reason} You can still read, top up and see your "
            "wallet, but not post, message, book or start readings."
        ),
        email=True,
    )
    audit_log_record(
        actor=moderator,
        action="moderation.user_suspended",
        target=user,
        details={
            "suspension_id": suspension.pk,
            "reason": reason,
            "ends_at": until.isoformat() if until else None,
            "report_id": report.pk if report else None,
            "replaced_suspension_ids": replaced,
        },
        request=request,
    )
    suspension_cache_clear(user)
    return suspension


@transaction.atomic(durable=True)
def user_suspend(
    *, moderator: Any, user: Any, reason: str, until: datetime | None, request: HttpRequest | None = None
) -> Suspension:
    """A moderator suspends ``user`` until ``until`` (None: until lifted) for ``reason``, which the user is shown.
    A suspended user can read, top up and see their wallet, and nothing else (``write_guard``). Audited."""
    _require_moderator(moderator)
    reason = (reason or "").strip()
    _suspension_reason_check(reason)
    _suspension_target_check(moderator=moderator, user=user)
    return _suspension_create(moderator=moderator, user=user, reason=reason, until=until, report=None, request=request)


@transaction.atomic(durable=True)
def user_suspension_lift(*, moderator: Any, user: Any, note: str = "", request: HttpRequest | None = None) -> int:
    """A moderator lifts every suspension of ``user`` in force (or yet to start). Tells the user; audited. Returns
    how many were lifted; refuses when there is none."""
    _require_moderator(moderator)
    now = timezone.now()
    user = user_lock(user_id=user.pk)
    lifting = list(
        Suspension.objects.filter(user_id=user.pk, lifted_at__isnull=True)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .values_list("pk", flat=True)
    )
    if not lifting:
        raise InvalidStateError("This user is not suspended.")
    Suspension.objects.filter(pk__in=lifting).update(lifted_at=now, lifted_by=moderator)
    notify(
        user=user,
        kind=SUSPENSION_LIFTED_KIND,
        title="Your suspension is lifted",
        body="A moderator lifted the suspension of your account. You can post, message and book again.",
        email=True,
    )
    audit_log_record(
        actor=moderator,
        action="moderation.user_suspension_lifted",
        target=user,
        details={"suspension_ids": lifting, "note": (note or "").strip()[:REPORT_DETAILS_MAX_LENGTH]},
        request=request,
    )
    suspension_cache_clear(user)
    return len(lifting)
