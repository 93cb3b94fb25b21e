from typing import Any

from django.db.models import QuerySet

from .models import Notification


def notification_list(*, viewer: Any) -> QuerySet[Notification]:
    return Notification.objects.filter(user=viewer).order_by("-created_at", "-id")


def notification_unread_count(*, viewer: Any) -> int:
    if not getattr(viewer, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=viewer, read_at__isnull=True).count()
