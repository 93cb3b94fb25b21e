"""Row locks of the moderation app. Callers hold the transaction."""

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from .models import AutoHide, Report


def reports_lock(*, content_type_id: int, object_id: int) -> QuerySet[Report]:
    """Lock every report of one object, in primary-key order, and return them."""
    return (
        Report.objects.select_for_update(of=("self",))
        .filter(content_type_id=content_type_id, object_id=object_id)
        .order_by("pk")
    )


def auto_hide_pending_lock(*, content_type_id: int, object_id: int) -> AutoHide | None:
    """Lock the pending automatic hiding of one object, if any. Take it after the object's reports."""
    return (
        AutoHide.objects.select_for_update(of=("self",))
        .filter(content_type_id=content_type_id, object_id=object_id, cleared_at__isnull=True)
        .first()
    )


def user_lock(*, user_id: int) -> Any:
    """Lock one user's row: serialises the suspensions, moderator grants and trust overrides of that user."""
    return get_user_model().objects.select_for_update(of=("self",)).get(pk=user_id)
