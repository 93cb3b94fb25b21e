"""The shop's part of a person's data export and account deletion."""

from decimal import Decimal

import pytest

from apps.accounts.tests.factories import UserFactory
from apps.core.privacy import personal_data_entries
from apps.shop.enums import OrderStatus, PaymentMethod
from apps.shop.models import Order

pytestmark = pytest.mark.django_db


def _entry():
    return next(entry for entry in personal_data_entries() if entry.key == "shop.orders")


def _order(user, **values):
    defaults = {
        "status": OrderStatus.FULFILLED,
        "payment_method": PaymentMethod.STRIPE,
        "client_key": f"key-{Order.objects.count()}",
        "subtotal_amount": Decimal("10.00"),
        "total_amount": Decimal("10.00"),
        "shipping_name": "Ada Buyer",
        "shipping_address": {"line1": "1 Moon Street", "city": "Salem"},
    }
    return Order.objects.create(user=user, **{**defaults, **values})


def test_export_holds_the_buyers_orders_and_nobody_elses():
    # given
    buyer, other = UserFactory(), UserFactory()
    mine = _order(buyer)
    _order(other, shipping_name="Someone Else")
    # when
    exported = _entry().export(buyer)
    # then
    assert [order["id"] for order in exported["orders"]] == [mine.pk]
    assert exported["orders"][0]["shipping_name"] == "Ada Buyer"
    assert "Someone Else" not in str(exported)


def test_erase_removes_the_shipping_name_and_address_and_keeps_the_order():
    # given
    buyer = UserFactory()
    order = _order(buyer)
    # when
    _entry().erase(buyer)
    # then
    order.refresh_from_db()
    assert (order.shipping_name, order.shipping_address, order.total_amount) == ("", {}, Decimal("10.00"))


def test_deletion_waits_for_a_checkout_in_progress_and_an_unshipped_parcel():
    # given
    buyer = UserFactory()
    _order(buyer, status=OrderStatus.PENDING, client_key="pending")
    _order(buyer, status=OrderStatus.PAID, has_physical=True, client_key="parcel")
    # when
    reasons = _entry().blockers(buyer)
    # then
    assert len(reasons) == 2 and any("shipped" in reason for reason in reasons)
    assert _entry().blockers(UserFactory()) == []
