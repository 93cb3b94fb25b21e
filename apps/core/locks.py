"""Row locks of the core app. Every lock the app takes is here (house rule: locks only in locks.py)."""

from datetime import datetime

from .models import OutboxMessage, OutboxStatus


def outbox_due_lock(*, now: datetime, message_id: int | None = None) -> OutboxMessage | None:
    """Lock one due, pending outbox message (a given one, or the oldest due), skipping rows another worker holds.

    SKIP LOCKED lets several workers sweep at once without waiting on each other. The caller holds the transaction.
    """
    qs = OutboxMessage.objects.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
    if message_id is not None:
        qs = qs.filter(pk=message_id)
    return qs.select_for_update(skip_locked=True).order_by("next_attempt_at", "pk").first()
