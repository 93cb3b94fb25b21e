"""Notifications: the one way every feature tells a user something (in-app, and by email if they want it)."""

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.core.emails import email_send, site_link
from apps.core.exceptions import NotFound
from apps.core.outbox import outbox_enqueue, outbox_handler

from .models import Notification
from .registry import notification_kind_get

logger = logging.getLogger(__name__)


def notification_wants_email(*, user: Any, kind: str) -> bool:
    """Whether ``user`` asked for email about notifications of ``kind`` (by its category).

    Never raises: an unregistered kind (a programming error caught by tests) is logged and gets no email,
    so a notification can never break the money transaction it is part of.
    """
    registered = notification_kind_get(kind)
    if registered is None:
        logger.error("notify: notification kind %r is not registered; no email sent", kind)
        return False
    return bool(getattr(user, registered.email_preference))


def notify(*, user: Any, kind: str, title: str, body: str = "", url: str = "", email: bool = False) -> Notification:
    """Create an in-app notification; also email it once committed when ``email`` and the user's preference allow.

    Runs in the caller's transaction if there is one (the email leaves only if that commits). The email goes
    through the outbox, so a broker outage or a crashed worker delays it but never loses it.
    """
    wants_email = email and user.is_active and notification_wants_email(user=user, kind=kind)
    with transaction.atomic():
        notification = Notification.objects.create(
            user=user, kind=kind, title=title[:160], body=body, url=url, email_requested=wants_email
        )
        if wants_email:
            outbox_enqueue(
                name="notifications.email",
                kwargs={"notification_id": notification.pk},
                dedupe_key=f"notification:{notification.pk}:email",
            )
    return notification


def notify_admins(*, kind: str, title: str, body: str = "", url: str = "", email: bool = True) -> int:
    """``notify`` every active admin (an alert: a stuck settlement, a Stripe event nobody can match).

    Runs in the caller's transaction like ``notify``; returns how many admins were told.
    """
    from django.contrib.auth import get_user_model

    admins = list(get_user_model().objects.filter(is_staff=True, is_active=True).order_by("pk"))
    for admin in admins:
        notify(user=admin, kind=kind, title=title, body=body, url=url, email=email)
    return len(admins)


@outbox_handler("notifications.email")
def notification_email_send(*, notification_id: int) -> bool:
    """Send the email of one notification; returns whether this call sent it.

    Marked sent only after the mail server took it: a crash in between sends it again on the outbox's retry
    (a rare duplicate rather than a lost email). A failure raises, and the outbox retries with backoff.
    """
    notification = (
        Notification.objects.select_related("user")
        .filter(pk=notification_id, email_requested=True, emailed_at__isnull=True)
        .first()
    )
    if notification is None:
        return False
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
    Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(emailed_at=timezone.now())
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


class NotificationNotFound(NotFound):
    default_message = "That notification does not exist."


def notification_texts_remove(*, texts: Any, replacement: str = "[removed]") -> int:
    """Replace every occurrence of each of ``texts`` in anyone's notification titles and bodies (a deleted account's
    name, or the words it wrote that a notification quoted). Texts shorter than 3 characters are left alone: they
    would match inside ordinary words. Inner helper: the caller holds the transaction. Returns rows changed."""
    from django.db.models import Q, Value
    from django.db.models.functions import Replace

    changed = 0
    for text in sorted({text for text in texts if text and len(text) >= 3}, key=len, reverse=True):
        changed += Notification.objects.filter(Q(title__contains=text) | Q(body__contains=text)).update(
            title=Replace("title", Value(text), Value(replacement)),
            body=Replace("body", Value(text), Value(replacement)),
        )
    return changed
