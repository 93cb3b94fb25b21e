"""The top-up success page shows the real state Stripe reports: expired and failed are final (no polling),
nothing is credited, and the page says so plainly."""

from decimal import Decimal

import pytest
from django.urls import reverse

from apps.wallet.models import TopUp, Transaction
from apps.wallet.selectors import wallet_balance
from apps.wallet.services.webhooks import stripe_events_process_received

from .stripe_flows import deliver, topup_checkout

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_in(client, client_user):
    client.force_login(client_user)
    return client


def test_topup_success_page_session_expired_at_stripe_shows_expired_final_nothing_credited(
    client_in, client_user, stripe_server
):
    # given: Stripe reports the Checkout Session expired before it was paid
    topup = topup_checkout(client_user)
    stripe_server.sessions[topup.stripe_checkout_session_id]["status"] = "expired"
    # when
    response = client_in.get(reverse("wallet:topup_success"), {"session_id": topup.stripe_checkout_session_id})
    # then
    page = response.content.decode()
    assert response.status_code == 200
    assert "Checkout expired" in page and "Nothing was charged" in page
    assert "every 3s" not in page  # final: the page stops asking
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.EXPIRED
    assert not Transaction.objects.exists() and wallet_balance(user=client_user) == Decimal("0.00")


def test_topup_success_page_async_payment_failed_shows_failed_final_nothing_credited(
    client, client_in, client_user, stripe_server
):
    # given: the delayed payment failed (webhook)
    topup = topup_checkout(client_user)
    session = {**stripe_server.public(stripe_server.sessions[topup.stripe_checkout_session_id]), "status": "complete"}
    deliver(client, stripe_server, "checkout.session.async_payment_failed", session)
    stripe_events_process_received()
    # when
    response = client_in.get(reverse("wallet:topup_success"), {"session_id": topup.stripe_checkout_session_id})
    # then
    page = response.content.decode()
    assert "Payment failed" in page and "Nothing was added to your wallet" in page
    assert "every 3s" not in page
    assert not Transaction.objects.exists() and wallet_balance(user=client_user) == Decimal("0.00")


def test_topup_success_page_processing_keeps_polling(client_in, client_user, stripe_server):
    # given: not paid yet
    topup = topup_checkout(client_user)
    # when
    page = client_in.get(reverse("wallet:topup_success"), {"session_id": topup.stripe_checkout_session_id})
    # then
    body = page.content.decode()
    assert "Payment processing" in body and 'hx-trigger="every 3s"' in body


def test_topup_success_page_without_session_id_404(client_in, stripe_server):
    assert client_in.get(reverse("wallet:topup_success")).status_code == 404
    assert client_in.get(reverse("wallet:topup_success"), {"session_id": "cs_unknown"}).status_code == 404
