"""Racing payouts on separate database connections: one payout per reader whoever wins, the ledger clean."""

from decimal import Decimal

import pytest

from apps.core import outbox
from apps.payouts import services
from apps.payouts.exceptions import PayoutAlreadyPending, PayoutBelowMinimum
from apps.payouts.models import Payout
from tests.support.racing import race

from .helpers import earn, earnings, in_transit, ledger_clean, verified_reader

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_racing_payout_requests_make_one_payout(stripe_server):
    # given a verified reader with $60.00 of earnings
    reader = verified_reader(stripe_server)
    earn(reader, "60.00")
    # when two requests race (two tabs, a double click)
    outcomes = race(lambda: services.payout_request(reader=reader), lambda: services.payout_request(reader=reader))
    # then one payout of everything, the other refused cleanly
    payouts = [o for o in outcomes if isinstance(o, Payout)]
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert len(payouts) == 1 and len(errors) == 1
    assert isinstance(errors[0], PayoutAlreadyPending | PayoutBelowMinimum)
    assert Payout.objects.count() == 1 and payouts[0].amount == Decimal("60.00")
    assert earnings(reader) == Decimal("0.00") and in_transit() == Decimal("60.00")
    outbox.outbox_drain()
    assert len(stripe_server.transfers) == 1
    ledger_clean()


def test_racing_weekly_batches_and_a_request_pay_each_reader_once(stripe_server):
    readers = [verified_reader(stripe_server) for _ in range(3)]
    for reader in readers:
        earn(reader, "20.00")
    # when two workers run the batch while the first reader asks to be paid
    outcomes = race(
        services.payouts_batch_weekly,
        services.payouts_batch_weekly,
        lambda: services.payout_request(reader=readers[0]),
    )
    assert not [o for o in outcomes[:2] if isinstance(o, Exception)]
    # then every reader has exactly one payout of their $20.00
    assert sorted(Payout.objects.values_list("reader_id", flat=True)) == sorted(r.pk for r in readers)
    assert in_transit() == Decimal("60.00")
    outbox.outbox_drain()
    assert len(stripe_server.transfers) == 3
    ledger_clean()


def test_racing_transfer_workers_make_one_transfer(stripe_server):
    reader = verified_reader(stripe_server)
    earn(reader, "45.00")
    payout = services.payout_request(reader=reader)
    # when two workers run the same payout's transfer at once (a redelivered message)
    race(
        lambda: services.payout_transfer_send(payout_id=payout.pk),
        lambda: services.payout_transfer_send(payout_id=payout.pk),
    )
    # then Stripe's idempotency key made one transfer and it is recorded once
    assert len(stripe_server.transfers) == 1
    payout.refresh_from_db()
    assert payout.status == "paid" and in_transit() == Decimal("0.00")
    ledger_clean()


def test_racing_reversal_deliveries_return_the_money_once(stripe_server):
    reader = verified_reader(stripe_server)
    earn(reader, "33.00")
    payout = services.payout_request(reader=reader)
    outbox.outbox_drain()
    payout.refresh_from_db()
    reversed_transfer = stripe_server.transfer_reverse(payout.stripe_transfer_id)
    # when two workers process the reversal at once (two deliveries of the event)
    race(
        lambda: services.payout_transfer_reversed(transfer=reversed_transfer),
        lambda: services.payout_transfer_reversed(transfer=reversed_transfer),
    )
    # then $33.00 came back once
    assert earnings(reader) == Decimal("33.00")
    payout.refresh_from_db()
    assert payout.status == "reversed"
    ledger_clean()
