"""Stripe webhooks dispatch by the purpose the object's metadata names: only a wallet top-up reaches
``topup_credit``; another registered purpose gets its own handler; an unknown one is recorded and ignored. Refund
events reach the purpose their refund names when it handles them, and the wallet otherwise."""

from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured

from apps.core.outbox import outbox_drain
from apps.wallet import stripe_gateway
from apps.wallet.models import Refund, StripeEvent, TopUp, Transaction
from apps.wallet.selectors import wallet_balance
from apps.wallet.services.refunds import refund_request, refund_submit
from apps.wallet.stripe_purposes import (
    stripe_purpose_register,
    stripe_purpose_unregister,
    stripe_purposes,
    stripe_unmatched_refund_handlers,
    stripe_unmatched_refund_register,
)

from .stripe_flows import deliver, topup_checkout, topup_paid

pytestmark = pytest.mark.django_db


def shop_session(server, *, metadata):
    """A Checkout Session another part of the platform (the shop) created, paid by the customer."""
    session = stripe_gateway._client().v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {"currency": "usd", "unit_amount": 2500, "product_data": {"name": "Tarot deck"}},
                }
            ],
            "metadata": metadata,
            "success_url": "http://testserver/shop/done/",
            "cancel_url": "http://testserver/shop/",
        }
    )
    return server.session_pay(session.id)


@pytest.fixture
def shop_purpose():
    calls: list[tuple[str, str]] = []

    def order_paid(session, event_id):
        calls.append((session["id"], event_id))

    def refund_event(refund, event_id):
        calls.append((refund["id"], event_id))

    stripe_purpose_register(
        "tests_shop_order",
        handlers={"checkout.session.completed": order_paid, "refund.updated": refund_event},
    )
    yield calls
    stripe_purpose_unregister("tests_shop_order")


@pytest.mark.parametrize("metadata", [{"purpose": "gift_card", "order_id": "7"}, {}], ids=["unknown", "none"])
def test_stripe_webhook_checkout_completed_not_a_topup_leaves_wallet_untouched(
    client, client_user, stripe_server, metadata
):
    # given a client with a pending top-up of the same amount, and a shop session paid
    pending = topup_checkout(client_user, "25.00")
    session = shop_session(stripe_server, metadata={**metadata, "user_id": str(client_user.pk)})
    # when Stripe delivers its signed checkout.session.completed and the outbox runs it
    response = deliver(client, stripe_server, "checkout.session.completed", session)
    outbox_drain()
    # then the event is done and records why it was ignored; nothing is credited, the top-up still waits
    assert response.status_code == 200
    event = StripeEvent.objects.get()
    assert event.status == StripeEvent.Status.DONE and event.error["ignored"] == "purpose"
    assert event.error["purpose"] == metadata.get("purpose", "") and session["id"] in event.error["message"]
    assert not Transaction.objects.exists() and wallet_balance(user=client_user) == Decimal("0.00")
    pending.refresh_from_db()
    assert pending.status == TopUp.Status.PENDING


def test_stripe_webhook_registered_purpose_reaches_its_handler_only(client, client_user, stripe_server, shop_purpose):
    # given a purpose registered by another domain, and one of its sessions paid
    session = shop_session(stripe_server, metadata={"purpose": "tests_shop_order", "order_id": "9"})
    # when the event is delivered twice and the outbox runs
    first = deliver(client, stripe_server, "checkout.session.completed", session)
    deliver(client, stripe_server, "checkout.session.expired", session)
    outbox_drain()
    # then its handler ran once for the event it registered; the other type is ignored; no wallet money moved
    assert shop_purpose == [(session["id"], first.event["id"])]
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {StripeEvent.Status.DONE}
    assert not Transaction.objects.exists()


def test_stripe_webhook_topup_purpose_credits_once(client, client_user, stripe_server):
    # given a top-up whose session carries its purpose
    topup = topup_checkout(client_user, "25.00")
    session = stripe_server.session_pay(topup.stripe_checkout_session_id)
    assert session["metadata"]["purpose"] == "topup"
    # when its completion, PaymentIntent and charge events arrive
    deliver(client, stripe_server, "checkout.session.completed", session)
    deliver(client, stripe_server, "charge.succeeded", stripe_server.charge_for_session(session["id"]))
    outbox_drain()
    # then the wallet is credited once
    assert Transaction.objects.filter(kind="top_up").count() == 1
    assert wallet_balance(user=client_user) == Decimal("25.00")


def test_stripe_webhook_topup_created_before_purpose_metadata_still_credited(client, client_user, stripe_server):
    # given a session created before top-ups named their purpose (only topup_id and user_id)
    topup = topup_checkout(client_user, "25.00")
    stripe_server.sessions[topup.stripe_checkout_session_id]["metadata"].pop("purpose")
    session = stripe_server.session_pay(topup.stripe_checkout_session_id)
    # when
    deliver(client, stripe_server, "checkout.session.completed", session)
    outbox_drain()
    # then
    assert wallet_balance(user=client_user) == Decimal("25.00")


def test_stripe_purpose_register_bad_entries_refused():
    def handler(obj, event_id):  # pragma: no cover - never called
        return None

    with pytest.raises(ImproperlyConfigured):
        stripe_purpose_register("Shop Order", handlers={"checkout.session.completed": handler})
    with pytest.raises(ImproperlyConfigured):
        stripe_purpose_register("tests_refund", handlers={"charge.dispute.created": handler})
    with pytest.raises(ImproperlyConfigured):
        stripe_purpose_register("tests_broken", handlers={"checkout.session.completed": "not callable"})
    with pytest.raises(ImproperlyConfigured):
        stripe_purpose_register("topup", handlers={"checkout.session.completed": handler})
    assert "topup" in stripe_purposes() and not {"tests_refund", "tests_broken"} & set(stripe_purposes())
    handlers = stripe_unmatched_refund_handlers()
    with pytest.raises(ImproperlyConfigured):
        stripe_unmatched_refund_register("not callable")  # type: ignore[arg-type]
    assert stripe_unmatched_refund_handlers() == handlers


def test_refund_event_reaches_the_purpose_its_refund_names_and_every_other_refund_the_wallet(
    client, admin_user, client_user, stripe_server, shop_purpose
):
    # given a refund whose metadata names a purpose with a refund handler, and a wallet top-up's refund
    session = shop_session(stripe_server, metadata={"purpose": "tests_shop_order", "order_id": "9"})
    theirs = stripe_gateway.refund_create(
        payment_intent_id=session["payment_intent"],
        amount=Decimal("5.00"),
        metadata={"purpose": "tests_shop_order"},
        idempotency_key="tests-shop-refund",
    )
    topup = topup_paid(client, stripe_server, client_user, "25.00")
    ours = refund_submit(refund_pk=refund_request(actor=admin_user, topup_id=topup.pk, amount="10.00", reason="r").pk)
    # when Stripe reports both
    first = deliver(client, stripe_server, "refund.updated", stripe_server.refund_settle(theirs["id"]))
    deliver(client, stripe_server, "refund.updated", stripe_server.refund_settle(ours.stripe_refund_id))
    outbox_drain()
    # then the purpose's handler got its refund only, and the wallet booked its own
    assert shop_purpose == [(theirs["id"], first.event["id"])]
    assert Refund.objects.get().status == Refund.Status.SUCCEEDED
    assert wallet_balance(user=client_user) == Decimal("15.00")
    assert Transaction.objects.filter(kind="refund").count() == 1
