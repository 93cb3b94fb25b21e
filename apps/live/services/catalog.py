"""The gift catalog, managed by admins (audited)."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.core.services import audit_log_record

from ..constants import GIFT_MAX_AMOUNT, GIFT_MIN_AMOUNT
from ..enums import Animation
from ..exceptions import GiftKindNotFound, InvalidGiftKind
from ..locks import gift_kind_lock
from ..models import GiftKind


def _require_admin(actor: Any) -> None:
    if not getattr(actor, "is_staff", False):
        raise GiftKindNotFound()


def _clean(*, name: Any, price_amount: Any, animation: Any, position: Any) -> dict[str, Any]:
    name = str(name or "").strip()
    if not 1 <= len(name) <= 40:
        raise InvalidGiftKind("A gift needs a name of at most 40 characters.")
    try:
        price = Decimal(str(price_amount).strip().lstrip("$"))
    except (InvalidOperation, ValueError):
        raise InvalidGiftKind("Enter the price in dollars and cents, for example 1.00.")
    if not price.is_finite() or price != price.quantize(Decimal("0.01")):
        raise InvalidGiftKind("Enter the price in dollars and cents, for example 1.00.")
    if not GIFT_MIN_AMOUNT <= price <= GIFT_MAX_AMOUNT:
        raise InvalidGiftKind(f"A gift costs between ${GIFT_MIN_AMOUNT} and ${GIFT_MAX_AMOUNT}.")
    if animation not in Animation.values:
        raise InvalidGiftKind("Choose one of the animations.")
    try:
        order = int(position)
    except (TypeError, ValueError):
        raise InvalidGiftKind("The order is a whole number.")
    if not 0 <= order <= 1000:
        raise InvalidGiftKind("The order is between 0 and 1000.")
    return {"name": name, "price_amount": price.quantize(Decimal("0.01")), "animation": animation, "position": order}


def _save(gift_kind: GiftKind) -> None:
    try:
        gift_kind.full_clean()
    except ValidationError as error:
        raise InvalidGiftKind(" ".join(error.messages))
    gift_kind.save()


@transaction.atomic(durable=True)
def gift_kind_create(
    *, actor: Any, name: Any, price_amount: Any, animation: Any, position: Any = 0, is_active: bool = True
) -> GiftKind:
    _require_admin(actor)
    gift_kind = GiftKind(
        **_clean(name=name, price_amount=price_amount, animation=animation, position=position), is_active=is_active
    )
    _save(gift_kind)
    audit_log_record(
        actor=actor,
        action="live.gift_kind_created",
        target=gift_kind,
        details={"name": gift_kind.name, "price": f"{gift_kind.price_amount:.2f}"},
    )
    return gift_kind


@transaction.atomic(durable=True)
def gift_kind_update(
    *, actor: Any, gift_kind_id: int, name: Any, price_amount: Any, animation: Any, position: Any, is_active: bool
) -> GiftKind:
    """Change a catalog entry. Gifts already sent keep their name, animation and price (snapshots)."""
    _require_admin(actor)
    gift_kind = gift_kind_lock(gift_kind_id=gift_kind_id)
    if gift_kind is None:
        raise GiftKindNotFound()
    before = {"name": gift_kind.name, "price": f"{gift_kind.price_amount:.2f}", "active": gift_kind.is_active}
    for field, value in _clean(name=name, price_amount=price_amount, animation=animation, position=position).items():
        setattr(gift_kind, field, value)
    gift_kind.is_active = bool(is_active)
    _save(gift_kind)
    audit_log_record(
        actor=actor,
        action="live.gift_kind_updated",
        target=gift_kind,
        details={
            "before": before,
            "after": {"name": gift_kind.name, "price": f"{gift_kind.price_amount:.2f}", "active": gift_kind.is_active},
        },
    )
    return gift_kind
