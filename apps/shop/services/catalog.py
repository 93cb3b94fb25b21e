"""The catalog, mirrored from Stripe (SPEC §10): products and prices, by webhooks and by ``sync_stripe_catalog``.

A webhook about a product or price is only a hint: the handler asks Stripe for the object as it is now and applies
that. Every applied state carries a version (the time the read started); a product or price keeps the state of the
latest read, so webhooks in any order, duplicates and a sync running at the same time converge on Stripe's
current state. A product Stripe no longer has (deleted) is marked deleted; nothing archived or deleted is for sale.

Product metadata read here: ``kind`` (``digital`` or ``physical``), ``category``, ``reader_id`` (the creator
reader, optional), ``file_key`` (a digital product's file in private storage) and ``stock`` (a physical product's
count on hand; a new value in Stripe is a new count, less the units held by open checkouts).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from apps.core.parsing import id_or_none
from apps.wallet import stripe_gateway

from ..enums import ProductKind, ReservationStatus
from ..models import CatalogSync, Price, Product

logger = logging.getLogger(__name__)

CATALOG_EVENT_TYPES = (
    "product.created",
    "product.updated",
    "product.deleted",
    "price.created",
    "price.updated",
    "price.deleted",
)


def _version() -> int:
    return time.time_ns()


def _id(value: Any) -> str:
    return str(value.get("id") if isinstance(value, dict) else value or "")


def _creator(raw: Any) -> tuple[Any, str]:
    if raw in (None, ""):
        return None, ""
    user_id = id_or_none(raw)
    user = get_user_model().objects.filter(pk=user_id).first() if user_id is not None else None
    if user is None or not user.is_reader:
        return None, f"reader_id {raw!r} is not a reader"
    return user, ""


def _locked_product(stripe_product_id: str) -> Product:
    Product.objects.get_or_create(stripe_product_id=stripe_product_id)
    return Product.objects.select_for_update(of=("self",)).get(stripe_product_id=stripe_product_id)


@transaction.atomic(durable=True)
def product_apply(*, data: dict[str, Any] | None, stripe_product_id: str, version: int) -> Product:
    """Apply a product as Stripe returned it (None: Stripe no longer has it). An older read changes nothing."""
    product = _locked_product(stripe_product_id)
    if version < product.stripe_version:
        return product
    product.stripe_version = version
    product.synced_at = timezone.now()
    if data is None or data.get("deleted"):
        product.is_deleted = True
        product.is_active = False
        product.save()
        return product
    metadata = data.get("metadata") or {}
    errors = []
    kind: str = str(metadata.get("kind") or "").lower()
    if kind not in ProductKind.values:
        errors.append(f"kind {kind!r} is not digital or physical" if kind else "no kind in metadata")
        kind = "digital"
    creator, creator_error = _creator(metadata.get("reader_id"))
    if creator_error:
        errors.append(creator_error)
    product.name = str(data.get("name") or "")[:255]
    product.description = str(data.get("description") or "")
    product.images = [str(url) for url in (data.get("images") or []) if str(url).startswith("https://")][:8]
    product.category = str(metadata.get("category") or "").strip()[:64]
    product.kind = kind
    product.creator = creator
    product.file_key = str(metadata.get("file_key") or "")[:500]
    product.default_price_id = _id(data.get("default_price"))
    if kind == ProductKind.DIGITAL:
        product.stock, product.stock_metadata = None, ""
        if not product.file_key:
            errors.append("a digital product needs a file_key")
    else:
        raw_stock = str(metadata.get("stock") or "").strip()
        if not (raw_stock.isascii() and raw_stock.isdigit() and len(raw_stock) <= 9):
            errors.append("a physical product needs a whole-number stock")
            product.stock = product.stock or 0
        elif raw_stock != product.stock_metadata or product.stock is None:
            held = product.reservations.filter(status=ReservationStatus.HELD).aggregate(n=Sum("quantity"))["n"] or 0
            product.stock = max(0, int(raw_stock) - held)
            product.stock_metadata = raw_stock
    product.metadata_error = "; ".join(errors)[:255]
    # A product whose metadata we cannot sell by (no kind, no file) is not offered until it is fixed in Stripe.
    product.is_active = bool(data.get("active")) and not errors
    product.is_deleted = False
    product.save()
    return product


@transaction.atomic(durable=True)
def price_apply(*, data: dict[str, Any] | None, stripe_price_id: str, stripe_product_id: str, version: int) -> Price:
    """Apply a price as Stripe returned it (None: Stripe no longer has it). An older read changes nothing."""
    product = Product.objects.get_or_create(stripe_product_id=stripe_product_id)[0]
    Price.objects.get_or_create(stripe_price_id=stripe_price_id, defaults={"product": product})
    price = Price.objects.select_for_update(of=("self",)).get(stripe_price_id=stripe_price_id)
    if version < price.stripe_version:
        return price
    price.stripe_version = version
    price.synced_at = timezone.now()
    if data is None or data.get("deleted"):
        price.is_deleted, price.is_active = True, False
        price.save()
        return price
    price.product = product
    unit_amount = data.get("unit_amount")
    price.unit_amount = stripe_gateway.from_cents(int(unit_amount)) if unit_amount is not None else None
    price.currency = str(data.get("currency") or "").lower()[:3]
    price.is_one_time = data.get("type") == "one_time"
    price.is_active = bool(data.get("active"))
    price.is_deleted = False
    price.save()
    return price


def catalog_event_apply(obj: dict[str, Any], stripe_event_id: str) -> None:
    """A ``product.*`` or ``price.*`` webhook: read the object from Stripe now and apply that (any order, any
    number of times). Raises while Stripe cannot be read; the event's outbox message retries it."""
    object_id = _id(obj.get("id"))
    if obj.get("object") == "price":
        _price_refresh(object_id)
    else:
        _product_refresh(object_id)
    logger.info("Catalog: applied %s from Stripe event %s", object_id, stripe_event_id)


def _product_refresh(product_id: str) -> Product:
    version = _version()
    return product_apply(
        data=stripe_gateway.product_retrieve(product_id), stripe_product_id=product_id, version=version
    )


def _price_refresh(price_id: str) -> Price | None:
    version = _version()
    data = stripe_gateway.price_retrieve(price_id)
    if data is None:
        existing = Price.objects.filter(stripe_price_id=price_id).select_related("product").first()
        if existing is None:
            return None
        product_id = existing.product.stripe_product_id
    else:
        product_id = _id(data.get("product"))
        if not Product.objects.filter(stripe_product_id=product_id, stripe_version__gt=0).exists():
            _product_refresh(product_id)  # a price that arrived before its product
    return price_apply(data=data, stripe_price_id=price_id, stripe_product_id=product_id, version=version)


def catalog_sync() -> CatalogSync:
    """Mirror every product and price Stripe holds (``manage.py sync_stripe_catalog``). Idempotent; safe while
    webhooks arrive: a webhook read after this run started wins over the state this run read."""
    run = CatalogSync.objects.create()
    version = _version()
    seen: set[str] = set()
    try:
        for data in stripe_gateway.products_iter():
            product_apply(data=data, stripe_product_id=data["id"], version=version)
            seen.add(data["id"])
            run.products += 1
        for data in stripe_gateway.prices_iter():
            price_apply(
                data=data, stripe_price_id=data["id"], stripe_product_id=_id(data.get("product")), version=version
            )
            run.prices += 1
        # Products we mirror that Stripe no longer lists were deleted there.
        for stripe_product_id in Product.objects.exclude(stripe_product_id__in=seen).values_list(
            "stripe_product_id", flat=True
        ):
            product_apply(data=None, stripe_product_id=stripe_product_id, version=version)
    except stripe_gateway.StripeError as exc:
        run.error = str(exc)[:1000]
        run.finished_at = timezone.now()
        run.save()
        raise
    run.finished_at = timezone.now()
    run.save()
    return run
