"""Stripe events about readers' Connect accounts and their transfers, dispatched by event type through the wallet's
StripeEvent pipeline (stored once, processed through the outbox, retried). Each handler is idempotent.

Events about a connected account (``account.updated``, ``account.application.deauthorized``, ``payout.failed``)
reach the Connect endpoint (``payouts:stripe_connect_webhook``, signed with ``STRIPE_CONNECT_WEBHOOK_SECRET``),
and name the account at the event's top level (``account``); ``transfer.reversed`` is about the platform's own
transfer and reaches the platform endpoint.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from apps.wallet.models import StripeEvent

from . import services


def _event_account(stripe_event_id: str, obj: dict[str, Any]) -> str:
    payload = StripeEvent.objects.filter(stripe_event_id=stripe_event_id).values_list("payload", flat=True).first()
    account = (payload or {}).get("account")
    if account:
        return str(account)
    return str(obj.get("id") or "") if obj.get("object") == "account" else ""


def _account_updated(obj: dict[str, Any], stripe_event_id: str) -> Any:
    return services.connect_account_sync(stripe_account=obj, source="webhook")


def _deauthorized(obj: dict[str, Any], stripe_event_id: str) -> Any:
    account_id = _event_account(stripe_event_id, obj)
    return services.connect_account_deauthorized(stripe_account_id=account_id) if account_id else None


def _transfer_reversed(obj: dict[str, Any], stripe_event_id: str) -> Any:
    return services.payout_transfer_reversed(transfer=obj, stripe_event_id=stripe_event_id)


def _payout_failed(obj: dict[str, Any], stripe_event_id: str) -> Any:
    account_id = _event_account(stripe_event_id, obj)
    if not account_id:
        return None  # the platform's own payout to its bank: not a reader's
    return services.connect_payout_failed(stripe_payout=obj, stripe_account_id=account_id)


EVENT_HANDLERS: dict[str, Callable[[dict[str, Any], str], Any]] = {
    "account.updated": _account_updated,
    "account.application.deauthorized": _deauthorized,
    "transfer.reversed": _transfer_reversed,
    "payout.failed": _payout_failed,
}
