"""One outbox for every external side effect that must not be lost.

A use case calls ``outbox_enqueue`` inside its own transaction; the row commits with the change or not at
all. After the commit a Celery task runs the message at once; when the broker is down or a worker dies,
the beat sweep (``core.outbox_sweep``) finds the message due and runs it. A message is *claimed* by
pushing its ``next_attempt_at`` forward by a lease before its handler runs, outside any transaction, so
a worker killed mid-call leaves a message that becomes due again when the lease ends. Delivery is
therefore at least once: handlers must be idempotent (Stripe idempotency keys, "already sent" flags).

Handlers are plain functions registered under a stable dotted name::

    @outbox_handler("notifications.email")
    def _send(*, notification_id: int) -> None: ...

Any exception from a handler is a failed attempt, retried after ``outbox_backoff(attempts)``; after
``OUTBOX_MAX_ATTEMPTS`` the message is marked failed, logged at error level, audited and mailed to admins.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import mail_admins
from django.db import transaction
from django.utils import timezone

from .locks import outbox_due_lock
from .models import OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)

_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
_HANDLERS: dict[str, Callable[..., Any]] = {}


def outbox_handler(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``func`` as the handler of outbox messages called ``name`` (``<app>.<effect>``)."""
    if not _NAME.match(name):
        raise ImproperlyConfigured(f"Outbox handler name {name!r} must be dotted lower-case, like 'app.effect'.")

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        existing = _HANDLERS.get(name)
        if existing is not None and existing.__qualname__ != func.__qualname__:
            raise ImproperlyConfigured(f"Two outbox handlers are registered as {name!r}.")
        _HANDLERS[name] = func
        return func

    return register


def outbox_handler_names() -> list[str]:
    return sorted(_HANDLERS)


def outbox_backoff(attempts: int) -> timedelta:
    """Wait after the ``attempts``-th failed attempt: base, 2×base, 4×base … capped."""
    base = settings.OUTBOX_RETRY_BASE_SECONDS
    return timedelta(seconds=min(settings.OUTBOX_RETRY_MAX_SECONDS, base * 2 ** max(0, attempts - 1)))


def outbox_enqueue(*, name: str, kwargs: dict[str, Any], dedupe_key: str) -> OutboxMessage:
    """Record one side effect in the caller's transaction; it runs once that transaction commits.

    The same ``dedupe_key`` again returns the first message and records nothing new. Must be called inside
    the caller's transaction (it is the point: the message commits with the change).
    """
    if name not in _HANDLERS:
        raise ImproperlyConfigured(f"No outbox handler is registered as {name!r}.")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("outbox_enqueue must run inside the caller's transaction.")
    message, created = OutboxMessage.objects.get_or_create(
        dedupe_key=dedupe_key[:200],
        defaults={"name": name, "kwargs": kwargs, "next_attempt_at": timezone.now()},
    )
    if created:
        transaction.on_commit(partial(_dispatch_soon, message.pk))
    return message


def _dispatch_soon(message_id: int) -> None:
    from .tasks import outbox_dispatch_task

    try:
        outbox_dispatch_task.delay(message_id)
    except Exception:  # the broker is down: the sweep will run it
        logger.warning("outbox: could not enqueue message %s; the sweep will run it", message_id, exc_info=True)


def _claim(*, message_id: int | None, now: datetime) -> OutboxMessage | None:
    """Take one due message (a given one, or the oldest due) by moving its next attempt past a lease."""
    lease = timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    with transaction.atomic():
        message = outbox_due_lock(now=now, message_id=message_id)
        if message is None:
            return None
        message.attempts += 1
        message.next_attempt_at = now + lease
        message.save(update_fields=["attempts", "next_attempt_at"])
    return message


def _run(message: OutboxMessage, *, now: datetime) -> bool:
    handler = _HANDLERS.get(message.name)
    try:
        if handler is None:
            raise ImproperlyConfigured(f"No outbox handler is registered as {message.name!r}.")
        handler(**message.kwargs)
    except Exception as exc:
        _record_failure(message, error=f"{type(exc).__name__}: {exc}"[:2000], now=now)
        return False
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxStatus.DONE, done_at=timezone.now(), last_error="")
    return True


def _record_failure(message: OutboxMessage, *, error: str, now: datetime) -> None:
    if message.attempts < settings.OUTBOX_MAX_ATTEMPTS:
        OutboxMessage.objects.filter(pk=message.pk).update(
            next_attempt_at=now + outbox_backoff(message.attempts), last_error=error
        )
        logger.warning("outbox: %s attempt %s failed: %s", message.name, message.attempts, error)
        return
    from .services import audit_log_record

    with transaction.atomic():
        OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxStatus.FAILED, last_error=error)
        audit_log_record(
            actor=None,
            action="outbox.failed",
            target=message,
            details={"name": message.name, "attempts": message.attempts, "error": error},
        )
    logger.error("outbox: %s gave up after %s attempts: %s", message.name, message.attempts, error)
    try:
        mail_admins(
            subject=f"Outbox message failed: {message.name}",
            message=f"Message {message.pk} ({message.dedupe_key}) failed {message.attempts} times.\n\n{error}",
        )
    except Exception:
        logger.exception("outbox: could not mail admins about message %s", message.pk)


def outbox_dispatch(*, message_id: int, now: datetime | None = None) -> bool | None:
    """Run one message now if it is due and nobody else holds it. None when there was nothing to run."""
    now = now or timezone.now()
    message = _claim(message_id=message_id, now=now)
    if message is None:
        return None
    return _run(message, now=now)


def outbox_drain(*, now: datetime | None = None, limit: int | None = None) -> int:
    """Run every due message (up to ``limit``) in this process; returns how many ran (succeeded or not).

    The beat sweep calls it; tests call it to deliver what a use case recorded, with ``now`` moved forward
    to step through the backoff.
    """
    now = now or timezone.now()
    limit = limit if limit is not None else settings.OUTBOX_SWEEP_BATCH
    ran = 0
    while ran < limit:
        message = _claim(message_id=None, now=now)
        if message is None:
            break
        _run(message, now=now)
        ran += 1
    return ran
