"""Prepaid subjects: what pays for a prepaid reading, and who is told when one is finished.

A prepaid reading (``enums.Billing.PREPAID``) is paid before it starts by another app (a booking's flat price,
held in that app's own hold), and names what paid for it with a generic pair, ``prepaid_subject_type`` +
``prepaid_subject_id``, like the wallet's hold subjects. Readings never import that app: the app registers its
subject type from its ``AppConfig.ready()`` with the callback that settles the payment when the reading is
finished::

    prepaid_subject_register("booking", on_finished=booking_reading_finished)

``on_finished(*, reading=PrepaidReadingFinished(...))`` runs inside the transaction that finalizes the reading,
under the reading's row lock; it settles (or leaves to its own rules) what the subject paid and returns a
``PrepaidOutcome``, which the reading's summary shows. It must be idempotent (finalizing twice is harmless) and
must never lock a reading itself. Raising leaves the reading ``ended``; the tick tries again, as for a
per-minute reading whose hold cannot be settled.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class PrepaidReadingFinished:
    """What the subject's app is told about its finished reading."""

    reading_id: int
    subject_type: str
    subject_id: int
    client_id: int
    reader_id: int
    became_active: bool  # both parties were present together at some point
    ended_at: datetime | None
    end_reason: str


@dataclass(frozen=True)
class PrepaidOutcome:
    """What the reading cost in the end, as its summary shows it: ``amount`` is what the client paid for it (the
    flat price, or nothing if it was refunded), split into the reader's and the platform's shares."""

    amount: Decimal
    reader_amount: Decimal
    platform_amount: Decimal
    note: str = ""


OnFinished = Callable[..., PrepaidOutcome]


@dataclass(frozen=True)
class PrepaidSubject:
    subject_type: str
    on_finished: OnFinished


_SUBJECTS: dict[str, PrepaidSubject] = {}
_TYPE_RE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


def prepaid_subject_register(subject_type: str, *, on_finished: OnFinished) -> PrepaidSubject:
    """Register a prepaid subject type (at start-up, from ``ready()``); a malformed or repeated type, or a
    callback that is not callable, is refused with ``ImproperlyConfigured``."""
    if not _TYPE_RE.match(subject_type or ""):
        raise ImproperlyConfigured(f"Prepaid subject type {subject_type!r} must be a short lowercase name.")
    if subject_type in _SUBJECTS:
        raise ImproperlyConfigured(f"Prepaid subject type {subject_type!r} is registered twice.")
    if not callable(on_finished):
        raise ImproperlyConfigured(f"Prepaid subject type {subject_type!r} needs a callable on_finished.")
    subject = PrepaidSubject(subject_type=subject_type, on_finished=on_finished)
    _SUBJECTS[subject_type] = subject
    return subject


def prepaid_subject_get(subject_type: str) -> PrepaidSubject:
    """The registered subject type; ``LookupError`` for an unknown one (a reading is never opened for it)."""
    try:
        return _SUBJECTS[subject_type]
    except KeyError:
        raise LookupError(f"Unknown prepaid subject type {subject_type!r}.") from None


def prepaid_subject_types() -> list[str]:
    return sorted(_SUBJECTS)
