"""What a Stripe payment is for, and who handles its events.

Every Checkout Session, PaymentIntent and charge this platform creates carries ``metadata.purpose`` (a wallet
top-up is ``"topup"``). Events about such an object reach only the handlers registered for its purpose, so a
shop Checkout Session never reaches ``topup_credit``; an object with an unknown purpose (or none) is recorded on
its StripeEvent and ignored.

Refund events (``REFUND_EVENT_TYPES``) are dispatched by the refund's own purpose only when that purpose
registered a handler for them (a shop refund, whose metadata names ``shop_order``); every other refund (a wallet
top-up's, one made in the Stripe Dashboard, which has no metadata) goes to the wallet's refund handlers, which
find its top-up by payment ids. A refund for which the wallet finds no top-up (one made in the Dashboard of
another domain's charge, e.g. a shop order's) is then offered to the handlers registered with
``stripe_unmatched_refund_register``, which match it by its PaymentIntent.

A domain plugs in from its ``AppConfig.ready()``::

    stripe_purpose_register("shop_order", handlers={"checkout.session.completed": order_paid, ...})

A handler takes ``(stripe_object, stripe_event_id)`` and must be idempotent (keyed by the Stripe object id).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured

PurposeHandler = Callable[[dict[str, Any], str], Any]
# (stripe refund, its PaymentIntent id, stripe event id) -> whether the refund was this domain's payment's.
UnmatchedRefundHandler = Callable[[dict[str, Any], str, str], bool]

# The event types dispatched by the purpose of their object (refunds and disputes find their payment by id).
PURPOSE_EVENT_TYPES = frozenset(
    {
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "checkout.session.async_payment_failed",
        "checkout.session.expired",
        "payment_intent.succeeded",
        "charge.succeeded",
    }
)
# Refund events: to the refund's purpose when it handles them, else to the wallet (see above).
REFUND_EVENT_TYPES = frozenset({"refund.created", "refund.updated", "refund.failed", "charge.refund.updated"})
TOPUP = "topup"

_NAME = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
_PURPOSES: dict[str, dict[str, PurposeHandler]] = {}
_UNMATCHED_REFUND_HANDLERS: dict[str, UnmatchedRefundHandler] = {}


def stripe_purpose_register(purpose: str, *, handlers: Mapping[str, PurposeHandler]) -> None:
    """Route the events about objects whose ``metadata.purpose`` is ``purpose`` to ``handlers`` (by event type).

    Refused at start-up: a malformed or already registered purpose, an event type not dispatched by purpose
    (``PURPOSE_EVENT_TYPES``, ``REFUND_EVENT_TYPES``), a handler that is not callable.
    """
    if not _NAME.match(purpose):
        raise ImproperlyConfigured(f"Stripe purpose {purpose!r} must be lower-case letters, digits and underscores.")
    existing = _PURPOSES.get(purpose)
    if existing is not None and _qualnames(existing) != _qualnames(handlers):
        raise ImproperlyConfigured(f"Stripe purpose {purpose!r} is registered twice.")
    unknown = set(handlers) - PURPOSE_EVENT_TYPES - REFUND_EVENT_TYPES
    if unknown:
        raise ImproperlyConfigured(
            f"Stripe purpose {purpose!r}: {', '.join(sorted(unknown))} is not dispatched by purpose "
            f"(one of {', '.join(sorted(PURPOSE_EVENT_TYPES | REFUND_EVENT_TYPES))})."
        )
    if not all(callable(handler) for handler in handlers.values()):
        raise ImproperlyConfigured(f"Stripe purpose {purpose!r}: every handler must be callable.")
    _PURPOSES[purpose] = dict(handlers)


def _qualnames(handlers: Mapping[str, PurposeHandler]) -> dict[str, str]:
    return {event_type: getattr(handler, "__qualname__", repr(handler)) for event_type, handler in handlers.items()}


def stripe_purpose_unregister(purpose: str) -> None:
    """Remove a purpose (tests that register their own)."""
    _PURPOSES.pop(purpose, None)


def stripe_purposes() -> list[str]:
    return sorted(_PURPOSES)


def stripe_object_purpose(obj: dict[str, Any]) -> str:
    """The purpose an object's metadata names. Top-ups created before the purpose was written name only their
    ``topup_id``: such an object is a top-up (``topup_credit`` still checks it against the TopUp row)."""
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict):
        return ""
    purpose = str(metadata.get("purpose") or "")
    if not purpose and metadata.get("topup_id"):
        return TOPUP
    return purpose


def stripe_purpose_handler(event_type: str, obj: dict[str, Any]) -> tuple[str, PurposeHandler | None]:
    """(purpose, handler) for an event about ``obj``; the handler is None when nothing here handles it."""
    purpose = stripe_object_purpose(obj)
    return purpose, _PURPOSES.get(purpose, {}).get(event_type)


def stripe_unmatched_refund_register(handler: UnmatchedRefundHandler) -> None:
    """Offer ``handler`` every refund the wallet finds no top-up for (a refund made in the Stripe Dashboard has no
    metadata, so its events reach the wallet). Called as ``handler(stripe_refund, payment_intent_id,
    stripe_event_id)`` outside any transaction; it returns True when the refund is of its domain's payment (the
    next handlers are then not asked) and must be idempotent, keyed by the Stripe refund id. Called from an app's
    ``AppConfig.ready()``; a non-callable is refused at start-up, the same function twice is harmless."""
    if not callable(handler):
        raise ImproperlyConfigured("An unmatched refund handler must be callable.")
    _UNMATCHED_REFUND_HANDLERS[f"{handler.__module__}.{handler.__qualname__}"] = handler


def stripe_unmatched_refund_handlers() -> list[UnmatchedRefundHandler]:
    return list(_UNMATCHED_REFUND_HANDLERS.values())
