"""Racing checkouts over real PostgreSQL connections: the last unit is reserved once; wallet purchases pay once."""

from decimal import Decimal

import pytest

from apps.accounts.tests.factories import UserFactory
from apps.core.exceptions import DomainError
from apps.readings.tests.helpers import credit
from apps.shop.exceptions import OutOfStock
from apps.shop.models import Order, Reservation
from apps.shop.services.cart import cart_set
from apps.shop.services.orders import order_checkout_start, order_wallet_pay
from apps.wallet.models import Account, Transaction
from apps.wallet.services.ledger_check import ledger_check_run
from apps.wallet.services.webhooks import stripe_events_process_received
from apps.wallet.tests.stripe_flows import deliver
from tests.support.racing import race

from .helpers import CANCEL_URL, SUCCESS_URL, stripe_product

pytestmark = pytest.mark.django_db(transaction=True)


def test_eight_checkouts_for_the_last_item_reserve_it_once_and_expiry_returns_it(client, stripe_server):
    # given: one unit left, eight buyers with it in their carts
    product = stripe_product(stripe_server, "Last tarot deck", cents=3000, kind="physical", stock=1)
    buyers = [UserFactory() for _ in range(8)]
    for buyer in buyers:
        cart_set(user=buyer, product_id=product.pk, quantity=1)

    def start(buyer):
        return lambda: order_checkout_start(
            user=buyer, client_key=f"race-{buyer.pk:08d}", success_url=SUCCESS_URL, cancel_url=CANCEL_URL
        )

    # when
    outcomes = race(*(start(buyer) for buyer in buyers))
    # then
    winners = [o for o in outcomes if isinstance(o, Order)]
    assert len(winners) == 1, outcomes
    assert all(isinstance(o, OutOfStock) for o in outcomes if not isinstance(o, Order))
    assert Reservation.objects.count() == 1 and Order.objects.count() == 1
    product.refresh_from_db()
    assert product.stock == 0
    assert len(stripe_server.requests_to("POST", "/v1/checkout/sessions")) == 1
    # and the expired session returns the unit
    session = stripe_server.session_expire(winners[0].stripe_checkout_session_id)
    deliver(client, stripe_server, "checkout.session.expired", session)
    stripe_events_process_received()
    product.refresh_from_db()
    assert product.stock == 1


def test_racing_wallet_purchases_of_one_cart_pay_once(stripe_server):
    buyer = UserFactory()
    credit(buyer, Decimal("20.00"))
    product = stripe_product(stripe_server, "Audio course", cents=1500)
    cart_set(user=buyer, product_id=product.pk, quantity=1)
    # the same form submitted four times, and a second form racing them
    calls = [lambda: order_wallet_pay(user=buyer, client_key="double-submit-key")] * 4
    calls.append(lambda: order_wallet_pay(user=buyer, client_key="another-form-key"))
    outcomes = race(*calls)
    orders = {o.pk for o in outcomes if isinstance(o, Order)}
    # every refusal is a domain error (no integrity error from the double submit)
    assert all(isinstance(o, (Order, DomainError)) for o in outcomes), outcomes
    assert Order.objects.count() == len(orders) and Transaction.objects.filter(kind="shop_order").count() == len(orders)
    # at most $20 in the wallet: one purchase of $15 goes through; the other is refused or finds the cart empty
    assert Account.objects.get(code=f"wallet:{buyer.pk}").balance == Decimal("20.00") - 15 * len(orders)
    assert len(orders) == 1
    assert ledger_check_run().is_ok
