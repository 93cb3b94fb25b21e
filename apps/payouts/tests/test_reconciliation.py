"""Reader payouts in the Stripe reconciliation: each payout's transfer and reversals at Stripe against its ledger
transactions, matched by transfer group; a difference is reported (and alerts the admins)."""

from datetime import date
from decimal import Decimal

import pytest

from apps.accounts.tests.factories import AdminFactory
from apps.core.outbox import outbox_drain
from apps.notifications.models import Notification
from apps.payouts import services
from apps.wallet import stripe_gateway
from apps.wallet.services.reconciliation import reconcile_stripe

from .helpers import earn, verified_reader

pytestmark = pytest.mark.django_db


def _paid_payout(server, amount: str):
    reader = verified_reader(server)
    earn(reader, amount)
    payout = services.payout_request(reader=reader)
    outbox_drain()
    payout.refresh_from_db()
    return payout


def test_paid_and_reversed_payouts_reconcile_clean(stripe_server):
    # given one payout paid and another paid then partly reversed, both booked from Stripe's events
    _paid_payout(stripe_server, "20.00")
    reversed_payout = _paid_payout(stripe_server, "40.00")
    transfer = stripe_server.transfer_reverse(reversed_payout.stripe_transfer_id, 1500)
    services.payout_transfer_reversed(transfer=transfer)
    # when reconciliation runs
    run = reconcile_stripe(since=date.today())
    # then both sides agree
    assert run.is_clean, run.differences
    assert run.ledger_count == 2 and run.stripe_count == 2


def test_reversal_not_booked_yet_is_reported(stripe_server):
    # given a reversal Stripe made whose event has not been processed here
    AdminFactory()
    payout = _paid_payout(stripe_server, "40.00")
    stripe_server.transfer_reverse(payout.stripe_transfer_id, 1000)
    # when reconciliation runs
    run = reconcile_stripe(since=date.today())
    # then the payout's amounts differ by the reversal, and the admins hear of it
    (difference,) = run.differences
    assert difference["kind"] == "payout" and difference["stripe_id"] == f"payout-{payout.pk}"
    assert difference["problem"] == "amount_mismatch"
    assert Decimal(difference["ledger_amount"]) == Decimal("40.00")
    assert Decimal(difference["stripe_amount"]) == Decimal("30.00")
    assert Notification.objects.filter(kind="account.alert_reconciliation").exists()


def test_transfer_made_at_stripe_without_a_ledger_payout_is_reported(stripe_server):
    reader = verified_reader(stripe_server)
    account_id = reader.payout_account.stripe_account_id
    stripe_gateway.transfer_create(
        amount=Decimal("5.00"), destination=account_id, transfer_group="payout-999999", metadata={}, idempotency_key="x"
    )
    # a transfer of another group (not a payout of ours) is not this reconciliation's business
    stripe_gateway.transfer_create(
        amount=Decimal("7.00"), destination=account_id, transfer_group="other", metadata={}, idempotency_key="y"
    )
    run = reconcile_stripe(since=date.today())
    assert [(d["problem"], d["stripe_id"]) for d in run.differences] == [("missing_in_ledger", "payout-999999")]
