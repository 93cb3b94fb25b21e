"""The cart: one per user, lines of products for sale, quantities within stock."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from ..enums import ProductKind
from ..exceptions import InvalidQuantity, OutOfStock, ProductNotFound
from ..models import CartItem
from ..selectors import for_sale

MAX_QUANTITY = 20


def quantity_clean(raw: Any) -> int:
    try:
        quantity = int(str(raw).strip())
    except (TypeError, ValueError):
        raise InvalidQuantity("Enter a whole number of items.")
    if quantity < 1:
        raise InvalidQuantity()
    if quantity > MAX_QUANTITY:
        raise InvalidQuantity(f"At most {MAX_QUANTITY} of one product per order.")
    return quantity


@transaction.atomic(durable=True)
def cart_set(*, user: Any, product_id: int, quantity: Any, add: bool = False) -> CartItem:
    """Put ``quantity`` of a product for sale in the cart (``add``: on top of what is there). Refused: a product
    not for sale, a quantity below 1 or above the stock."""
    quantity = quantity_clean(quantity)
    product = for_sale().filter(pk=product_id).first()
    if product is None:
        raise ProductNotFound()
    item = CartItem.objects.select_for_update().filter(user=user, product=product).first()
    if add and item is not None:
        quantity += item.quantity
    if product.kind == ProductKind.PHYSICAL and quantity > (product.stock or 0):
        if not product.stock:
            raise OutOfStock(f"{product.name} is sold out.")
        raise OutOfStock(f"Only {product.stock} of {product.name} left.")
    quantity = quantity_clean(quantity)
    if item is None:
        return CartItem.objects.create(user=user, product=product, quantity=quantity)
    item.quantity = quantity
    item.save(update_fields=["quantity"])
    return item


@transaction.atomic(durable=True)
def cart_remove(*, user: Any, product_id: int) -> int:
    return CartItem.objects.filter(user=user, product_id=product_id).delete()[0]
