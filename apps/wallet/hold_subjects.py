"""What money is held for: the registry of hold subjects (a reading, a refund on its way to the card, and next
a booking, a shop order, a payout).

A hold is the account ``hold:<subject type>:<subject id>`` (``Account.subject_type`` / ``subject_id``); the
ledger transactions that move its money carry the same pair. An app that takes money before it delivers
registers its subject type once, from its ``AppConfig.ready()``, with how to list its finished subjects::

    hold_subject_register("order", finished=lambda: Order.objects.filter(status__in=FINISHED_STATUSES))

``finished`` returns a queryset of the finished objects (their primary key is the subject id). The generic
ledger check ``finished_subject_holds_nothing`` proves that the hold of every one of them is at zero. A bad
entry (a malformed type, the same type twice) fails at start-up with ``ImproperlyConfigured``.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from apps.wallet.enums import LEGACY_HOLD_KINDS, AccountKind

SUBJECT_TYPE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,30}$")


@dataclass(frozen=True)
class HoldSubject:
    subject_type: str
    # A queryset of the finished subjects; None while the app has none to declare.
    finished: Callable[[], Any] | None = None

    @property
    def account_kind(self) -> Any:
        return LEGACY_HOLD_KINDS.get(self.subject_type, AccountKind.HOLD)


# Subjects with holds before this registry existed are known without registering (their app adds
# ``finished`` when it registers).
_SUBJECTS: dict[str, HoldSubject] = {subject_type: HoldSubject(subject_type) for subject_type in LEGACY_HOLD_KINDS}


def hold_subject_register(subject_type: str, *, finished: Callable[[], Any]) -> HoldSubject:
    """Declare a subject type that holds money and how to list its finished subjects. Call it from ``ready()``."""
    if not isinstance(subject_type, str) or not SUBJECT_TYPE_PATTERN.match(subject_type):
        raise ImproperlyConfigured(
            f"Hold subject type {subject_type!r} must be lowercase letters, digits and underscores (at most 31)."
        )
    if not callable(finished):
        raise ImproperlyConfigured(
            f"Hold subject {subject_type!r}: 'finished' must be a function returning a queryset."
        )
    current = _SUBJECTS.get(subject_type)
    if current is not None and current.finished is not None and _name(current.finished) != _name(finished):
        raise ImproperlyConfigured(f"Hold subject {subject_type!r} is registered twice.")
    subject = HoldSubject(subject_type, finished)
    _SUBJECTS[subject_type] = subject
    return subject


def hold_subject_unregister(subject_type: str) -> None:
    """Forget a registered subject (tests); a subject known before the registry stays known."""
    if subject_type in LEGACY_HOLD_KINDS:
        _SUBJECTS[subject_type] = HoldSubject(subject_type)
    else:
        _SUBJECTS.pop(subject_type, None)


def hold_subject_get(subject_type: str) -> HoldSubject:
    try:
        return _SUBJECTS[subject_type]
    except KeyError:
        raise ValueError(
            f"Unknown hold subject {subject_type!r}; register it with hold_subject_register() "
            f"(known: {', '.join(sorted(_SUBJECTS))})."
        )


def hold_subject_list() -> list[HoldSubject]:
    return [_SUBJECTS[name] for name in sorted(_SUBJECTS)]


def _name(function: Callable[..., Any]) -> str:
    return f"{getattr(function, '__module__', '')}.{getattr(function, '__qualname__', repr(function))}"
