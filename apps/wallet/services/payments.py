"""Which wallet top-up a Stripe charge, refund or dispute belongs to.

Stripe names a payment by its Checkout Session, PaymentIntent or charge id, and events about one payment arrive
in any order: a refund or a dispute may come before the top-up it belongs to is credited (or before we even know
its PaymentIntent, which Checkout creates only when the customer pays). So:

- ``payment_ref_resolve`` (outside any transaction) collects the ids a Stripe object carries and, when none of
  them matches a top-up here, asks Stripe for the charge: its metadata names our top-up if it is one.
- ``topup_for_payment`` (inside the caller's transaction) returns the top-up locked, records ids it did not
  know yet, and raises ``PaymentNotYetCredited`` while that top-up is not credited. The event is then kept
  PENDING and re-run as soon as the top-up is credited (``topup_credit``), or by the backoff sweep.
- A payment that is not a wallet top-up (no top-up here, no ``topup_id`` in the charge metadata) is not ours.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from apps.core.parsing import id_or_none
from apps.wallet import stripe_gateway
from apps.wallet.locks import topups_for_update
from apps.wallet.models import TopUp


class PaymentNotYetCredited(Exception):
    """The top-up this Stripe object belongs to is not credited yet: keep the event and try again later."""

    def __init__(self, *, payment_intent_id: str, charge_id: str, topup_id: int | None) -> None:
        self.payment_intent_id = payment_intent_id
        self.charge_id = charge_id
        self.topup_id = topup_id
        super().__init__(
            f"Waiting for the top-up of payment {payment_intent_id or charge_id or '?'} to be credited"
            + (f" (top-up #{topup_id})." if topup_id else ".")
        )


@dataclass(frozen=True)
class PaymentRef:
    payment_intent_id: str = ""
    charge_id: str = ""
    topup_id: int | None = None

    def __bool__(self) -> bool:
        return bool(self.payment_intent_id or self.charge_id or self.topup_id)


def _id(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("id")
    return str(value or "")


def _topup_id(metadata: Any) -> int | None:
    raw = (metadata or {}).get("topup_id") if isinstance(metadata, dict) else None
    return id_or_none(raw)


def _local_match(payment_intent_id: str, charge_id: str) -> TopUp | None:
    condition = Q(pk__in=[])
    if payment_intent_id:
        condition |= Q(stripe_payment_intent_id=payment_intent_id)
    if charge_id:
        condition |= Q(stripe_charge_id=charge_id)
    return TopUp.objects.filter(condition).order_by("pk").first()


def payment_ref_resolve(obj: dict[str, Any]) -> PaymentRef:
    """The payment a charge, refund or dispute object belongs to. May call Stripe: never inside a transaction."""
    is_charge = obj.get("object") == "charge"
    charge = obj if is_charge else obj.get("charge")
    charge_id = _id(obj.get("id")) if is_charge else _id(charge)
    payment_intent_id = _id(obj.get("payment_intent"))
    if not payment_intent_id and isinstance(charge, dict):
        payment_intent_id = _id(charge.get("payment_intent"))
    local = _local_match(payment_intent_id, charge_id)
    if local is not None:
        return PaymentRef(payment_intent_id or local.stripe_payment_intent_id, charge_id, local.pk)
    metadata = charge.get("metadata") if isinstance(charge, dict) else None
    if metadata is None and charge_id:
        fetched = stripe_gateway.charge_retrieve(charge_id)
        payment_intent_id = payment_intent_id or _id(fetched.get("payment_intent"))
        metadata = fetched.get("metadata")
        local = _local_match(payment_intent_id, charge_id)
        if local is not None:
            return PaymentRef(payment_intent_id, charge_id, local.pk)
    return PaymentRef(payment_intent_id, charge_id, _topup_id(metadata))


def topup_for_payment(ref: PaymentRef) -> TopUp | None:
    """The credited top-up ``ref`` belongs to, locked; None when the payment is not a wallet top-up.

    Records the PaymentIntent and charge ids on the top-up when it did not know them yet. Raises
    ``PaymentNotYetCredited`` while the top-up is not credited. Inner helper: the caller holds the transaction.
    """
    if not ref:
        return None
    locked = topups_for_update()
    topup = None
    if ref.payment_intent_id or ref.charge_id:
        condition = Q(pk__in=[])
        if ref.payment_intent_id:
            condition |= Q(stripe_payment_intent_id=ref.payment_intent_id)
        if ref.charge_id:
            condition |= Q(stripe_charge_id=ref.charge_id)
        topup = locked.filter(condition).order_by("pk").first()
    if topup is None and ref.topup_id is not None:
        topup = locked.filter(pk=ref.topup_id).first()
        if (
            topup is not None
            and ref.payment_intent_id
            and topup.stripe_payment_intent_id not in ("", ref.payment_intent_id)
        ):
            return None  # metadata naming a top-up that another payment paid: not this one
    if topup is None:
        return None
    changed = []
    if ref.payment_intent_id and not topup.stripe_payment_intent_id:
        topup.stripe_payment_intent_id = ref.payment_intent_id
        changed.append("stripe_payment_intent_id")
    if ref.charge_id and not topup.stripe_charge_id:
        topup.stripe_charge_id = ref.charge_id
        changed.append("stripe_charge_id")
    if changed:
        topup.save(update_fields=[*changed, "updated_at"])
    if topup.status != TopUp.Status.PAID:
        raise PaymentNotYetCredited(
            payment_intent_id=ref.payment_intent_id or topup.stripe_payment_intent_id,
            charge_id=ref.charge_id or topup.stripe_charge_id,
            topup_id=topup.pk,
        )
    return topup


def payment_ids_record(*, obj: dict[str, Any]) -> TopUp | None:
    """``payment_intent.succeeded`` / ``charge.succeeded``: remember the PaymentIntent and charge ids of the top-up
    named in the metadata, so refunds and disputes that name only those ids find it. Never credits.

    Inner helper: the caller holds the transaction.
    """
    is_charge = obj.get("object") == "charge"
    payment_intent_id = _id(obj.get("payment_intent")) if is_charge else _id(obj.get("id"))
    charge_id = _id(obj.get("id")) if is_charge else _id(obj.get("latest_charge"))
    topup_id = _topup_id(obj.get("metadata"))
    if topup_id is None:
        return None
    try:
        return topup_for_payment(PaymentRef(payment_intent_id, charge_id, topup_id))
    except PaymentNotYetCredited:
        return TopUp.objects.filter(pk=topup_id).first()
