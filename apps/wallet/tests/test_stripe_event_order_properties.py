"""Property: the events of one card top-up, one refund made at Stripe and one dispute, delivered in every order
(early, late, retried with the same event id, sent again as a new event; with the PaymentIntent known to the top-up
from the start or only from the events), through the real webhook view and
signed exactly as Stripe signs them, always end in the same money: the wallet equals a simple model of what
Stripe did, platform:losses is untouched, no event is left waiting and ``ledger_check`` is clean.
"""

from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from apps.accounts.tests.factories import UserFactory
from apps.wallet.models import Account, Dispute, LedgerCheckRun, Refund, StripeEvent
from apps.wallet.selectors import balance_of, wallet_balance
from apps.wallet.services.ledger import house_account
from apps.wallet.services.webhooks import stripe_events_process_received

from .stripe_flows import topup_checkout
from .stripe_server import StripeTestServer, example, webhook_post

pytestmark = pytest.mark.django_db

D = Decimal
TOPUP, REFUND, DISPUTE = D("50.00"), D("20.00"), D("30.00")
PATHS: Counter = Counter()

REFUND_OUTCOMES = ["none", "succeeded", "failed_after_success"]
DISPUTE_OUTCOMES = ["none", "won", "lost", "inquiry"]
# How a delivery is repeated: not at all, a retry of the same event (same id), or a new event about the same object.
REPEATS = ["once", "retry", "new_event"]


def dispute_object(server: StripeTestServer, session_id: str, dispute_id: str, status: str) -> dict[str, Any]:
    charge = server.charge_for_session(session_id)
    return example(
        "dispute",
        id=dispute_id,
        amount=int(DISPUTE * 100),
        charge=charge["id"],
        payment_intent=charge["payment_intent"],
        currency="usd",
        status=status,
        reason="fraudulent",
    )


def scenario_events(server: StripeTestServer, session: dict[str, Any], refund_outcome: str, dispute_outcome: str):
    """(event type, object) of everything Stripe sends for the scenario, in Stripe's own order."""
    events: list[tuple[str, dict[str, Any]]] = [("checkout.session.completed", session)]
    if refund_outcome != "none":
        refund = server.refund_in_dashboard(session["id"], int(REFUND * 100), status="pending")
        events.append(("refund.created", dict(refund)))
        events.append(("refund.updated", server.refund_settle(refund["id"], "succeeded")))
        if refund_outcome == "failed_after_success":
            events.append(("refund.failed", server.refund_settle(refund["id"], "failed")))
        events.append(("charge.refunded", server.public(server.charge_for_session(session["id"]))))
    dispute_id = f"dp_order_{session['id'][-12:]}"

    def dispute(event_type: str, status: str) -> None:
        events.append((event_type, dispute_object(server, session["id"], dispute_id, status)))

    if dispute_outcome == "won":
        dispute("charge.dispute.created", "needs_response")
        dispute("charge.dispute.funds_withdrawn", "needs_response")
        dispute("charge.dispute.funds_reinstated", "won")
        dispute("charge.dispute.closed", "won")
    elif dispute_outcome == "lost":
        dispute("charge.dispute.created", "needs_response")
        dispute("charge.dispute.funds_withdrawn", "needs_response")
        dispute("charge.dispute.closed", "lost")
    elif dispute_outcome == "inquiry":
        dispute("charge.dispute.created", "warning_needs_response")
        dispute("charge.dispute.closed", "warning_closed")
    return events


def expected_wallet(refund_outcome: str, dispute_outcome: str) -> Decimal:
    """The simple model: the top-up, minus a refund that stayed refunded, minus a dispute Stripe kept."""
    return TOPUP - (REFUND if refund_outcome == "succeeded" else 0) - (DISPUTE if dispute_outcome == "lost" else 0)


def drain() -> None:
    """What the workers do with what is queued: process every received event. No backoff sweep is needed: the
    top-up's credit releases every event that waited for it."""
    stripe_events_process_received()


scenarios = st.tuples(st.sampled_from(REFUND_OUTCOMES), st.sampled_from(DISPUTE_OUTCOMES)).flatmap(
    lambda outcome: st.tuples(
        st.just(outcome),
        # For each event: how it is repeated, and whether workers catch up right after its deliveries.
        st.lists(
            st.tuples(st.sampled_from(REPEATS), st.booleans()),
            min_size=12,
            max_size=12,
        ),
        st.randoms(use_true_random=False),
        # Whether Checkout creates the PaymentIntent only at payment (so the top-up does not know it yet).
        st.booleans(),
    )
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(scenario=scenarios)
def test_stripe_events_in_any_order_end_in_the_same_money(client, stripe_server, scenario):
    (refund_outcome, dispute_outcome), choices, rnd, lazy_payment_intent = scenario
    # given one top-up paid on Checkout and everything Stripe will say about it
    stripe_server.lazy_payment_intent = lazy_payment_intent
    user = UserFactory()
    topup = topup_checkout(user, TOPUP)
    session = stripe_server.session_pay(topup.stripe_checkout_session_id)
    events = scenario_events(stripe_server, session, refund_outcome, dispute_outcome)
    deliveries: list[tuple[dict[str, Any], bool]] = []
    for (event_type, obj), (repeat, catch_up) in zip(events, choices, strict=False):
        first = stripe_server.event(event_type, obj)
        deliveries.append((first, catch_up))
        if repeat == "retry":
            deliveries.append((first, catch_up))
        elif repeat == "new_event":
            deliveries.append((stripe_server.event(event_type, obj), catch_up))
    # when they are delivered in a random order, signed, through the webhook view
    rnd.shuffle(deliveries)
    credited_first = deliveries[0][0]["type"] == "checkout.session.completed"
    event("top-up credited first" if credited_first else "something arrived before the top-up")
    event(f"refund {refund_outcome}, dispute {dispute_outcome}")
    event("PaymentIntent created at payment" if lazy_payment_intent else "PaymentIntent known from the start")
    for delivered, catch_up in deliveries:
        assert webhook_post(client, delivered).status_code == 200
        if catch_up:
            stripe_events_process_received()
            if StripeEvent.objects.filter(status=StripeEvent.Status.PENDING).exists():
                PATHS["waited"] += 1
                event("an event waited for its payment")
    drain()
    # then the money is what Stripe did, whatever the order
    assert wallet_balance(user=user) == expected_wallet(refund_outcome, dispute_outcome)
    assert balance_of(house_account("platform:losses")) == D("0.00")
    assert not StripeEvent.objects.exclude(status=StripeEvent.Status.DONE).exists()
    wallet = Account.objects.get(code=f"wallet:{user.pk}")
    assert wallet.is_frozen == (dispute_outcome == "lost")
    if dispute_outcome != "none":
        status = {"won": "won", "lost": "lost", "inquiry": "warning_closed"}[dispute_outcome]
        assert Dispute.objects.get(user=user).status == status
    if refund_outcome != "none":
        status = "succeeded" if refund_outcome == "succeeded" else "failed"
        assert Refund.objects.get(user=user).status == status
    call_command("ledger_check")
    assert LedgerCheckRun.objects.latest("started_at").is_ok is True


def test_stripe_events_in_any_order_reached_early_events():
    """The property above must have seen events wait for their payment, not only the happy order."""
    if not PATHS:
        pytest.skip("run together with the property test")
    assert PATHS["waited"] > 0
