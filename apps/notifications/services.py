"""Notifications: the one way every feature tells a user something (in-app, and by email if they want it)."""

from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.core.emails import email_send, site_link
from apps.core.exceptions import DomainError

from .enums import EMAIL_PREFERENCE_BY_CATEGORY
from .models import Notification


def notification_wants_email(*, user: Any, kind: str) -> bool:
    """Whether ``user`` asked for email about notifications of ``kind`` (by its category)."""
    category = kind.split(".", 1)[0]
    try:
        preference = EMAIL_PREFERENCE_BY_CATEGORY[category]
    except KeyError:
        raise ValueError(f"Unknown notification category in kind {kind!r}.")
    return bool(getattr(user, preference))


def notify(*, user: Any, kind: str, title: str, body: str = "", url: str = "", email: bool = False) -> Notification:
    """Create an in-app notification; also email it once committed when ``email`` and the user's preference allow.

    Runs in the caller's transaction if there is one (the email leaves only if that commits).
    """
    wants_email = email and user.is_active and notification_wants_email(user=user, kind=kind)
    notification = Notification.objects.create(
        user=user, kind=kind, title=title[:160], body=body, url=url, email_requested=wants_email
    )
    if wants_email:
        from .tasks import notification_email_send_task

        transaction.on_commit(partial(notification_email_send_task.delay, notification.pk))
    return notification


def notification_email_send(*, notification_id: int) -> bool:
    """Send the email of one notification at most once. Returns whether this call sent it."""
    claimed = Notification.objects.filter(pk=notification_id, email_requested=True, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not claimed:
        return False
    notification = Notification.objects.select_related("user").get(pk=notification_id)
    try:
        email_send(
            to=[notification.user.email],
            subject=f"[{settings.SITE_NAME}] {notification.title}",
            template="notifications/email/notification",
            context={
                "notification": notification,
                "action_url": site_link(notification.url) if notification.url else "",
                "action_label": "Open it on SoulSeer",
                "settings_url": site_link(reverse("accounts:settings")),
            },
        )
    except Exception:
        # Release the claim so the task's retry can send it.
        Notification.objects.filter(pk=notification_id).update(emailed_at=None)
        raise
    return True


def notification_mark_read(*, user: Any, notification_id: int) -> Notification:
    """Mark one of ``user``'s notifications as read. Someone else's notification does not exist for them."""
    Notification.objects.filter(pk=notification_id, user=user, read_at__isnull=True).update(read_at=timezone.now())
    try:
        return Notification.objects.get(pk=notification_id, user=user)
    except Notification.DoesNotExist:
        raise NotificationNotFound()


def notification_mark_all_read(*, user: Any) -> int:
    """Mark every unread notification of ``user`` as read; returns how many changed."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


class NotificationNotFound(DomainError):
    default_message = "That notification does not exist."
