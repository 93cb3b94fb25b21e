"""Stripe events that arrive before the top-up they belong to is credited are kept pending and applied once it
is: a refund or a dispute delivered early must never leave the refunded or disputed money in the wallet."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from apps.wallet.models import Account, Dispute, Refund, StripeEvent, TopUp, Transaction
from apps.wallet.selectors import balance_of, wallet_balance
from apps.wallet.services.ledger import house_account
from apps.wallet.services.webhooks import stripe_events_process_received

from .stripe_flows import deliver, topup_checkout
from .stripe_server import example

pytestmark = pytest.mark.django_db


def dispute_of(server, topup, status="needs_response", *, by_charge_only=False):
    charge = server.charge_for_session(topup.stripe_checkout_session_id)
    return example(
        "dispute",
        id=f"dp_early_{topup.pk}",
        amount=charge["amount"],
        charge=charge["id"],
        payment_intent=None if by_charge_only else charge["payment_intent"],
        currency="usd",
        status=status,
        reason="fraudulent",
    )


def wallet_frozen(user) -> bool:
    return Account.objects.filter(code=f"wallet:{user.pk}", is_frozen=True).exists()


@pytest.mark.parametrize("lazy_payment_intent", [False, True], ids=["intent-known", "intent-not-yet-known"])
def test_refund_succeeded_before_topup_credited_is_applied_after_credit(
    client, client_user, stripe_server, lazy_payment_intent
):
    # given a top-up paid on Checkout, refunded in the Stripe Dashboard before its completion webhook arrives
    stripe_server.lazy_payment_intent = lazy_payment_intent
    topup = topup_checkout(client_user, "25.00")
    session = stripe_server.session_pay(topup.stripe_checkout_session_id)
    refund = stripe_server.refund_in_dashboard(topup.stripe_checkout_session_id, 1000)
    deliver(client, stripe_server, "refund.created", refund)
    deliver(client, stripe_server, "charge.refunded", stripe_server.charge_for_session(session["id"]))
    stripe_events_process_received()
    # then nothing is booked yet and the events wait for the payment
    assert not Transaction.objects.filter(kind="refund").exists()
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {StripeEvent.Status.PENDING}
    # when the top-up is credited
    deliver(client, stripe_server, "checkout.session.completed", session)
    stripe_events_process_received()
    # then the refund is taken from the wallet, not from platform:losses
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.PAID and topup.stripe_payment_intent_id == session["payment_intent"]
    assert topup.stripe_charge_id == stripe_server.charge_for_session(session["id"])["id"]
    assert wallet_balance(user=client_user) == Decimal("15.00")
    assert balance_of(house_account("platform:losses")) == Decimal("0.00")
    assert Refund.objects.get().status == Refund.Status.SUCCEEDED
    assert Transaction.objects.filter(kind="refund").count() == 1
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {StripeEvent.Status.DONE}
    call_command("ledger_check")


@pytest.mark.parametrize("by_charge_only", [False, True], ids=["names-intent", "names-charge-only"])
def test_dispute_withdrawn_before_topup_credited_takes_the_money_after_credit(
    client, client_user, stripe_server, by_charge_only
):
    # given a paid top-up disputed (funds withdrawn) before its completion webhook arrives
    topup = topup_checkout(client_user, "25.00")
    session = stripe_server.session_pay(topup.stripe_checkout_session_id)
    deliver(
        client, stripe_server, "charge.dispute.created", dispute_of(stripe_server, topup, by_charge_only=by_charge_only)
    )
    deliver(
        client,
        stripe_server,
        "charge.dispute.funds_withdrawn",
        dispute_of(stripe_server, topup, by_charge_only=by_charge_only),
    )
    stripe_events_process_received()
    assert not Dispute.objects.exists() and not Transaction.objects.filter(kind="chargeback").exists()
    # when the top-up is credited
    deliver(client, stripe_server, "checkout.session.completed", session)
    stripe_events_process_received()
    # then the chargeback takes the credited money; the wallet is frozen
    assert wallet_balance(user=client_user) == Decimal("0.00")
    assert balance_of(house_account("platform:losses")) == Decimal("0.00")
    assert Dispute.objects.get().status == Dispute.Status.FUNDS_WITHDRAWN and wallet_frozen(client_user)
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {StripeEvent.Status.DONE}
    call_command("ledger_check")
