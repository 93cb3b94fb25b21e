"""Top-ups with Stripe Checkout: the form, the confirmation step, the Checkout Session the SDK really
requests, the success and cancel pages, and the single credit function."""

from decimal import Decimal

import pytest
from django.urls import reverse

from apps.accounts.tests.factories import UserFactory
from apps.core.models import AuditLog
from apps.wallet.models import TopUp, Transaction
from apps.wallet.selectors import wallet_balance
from apps.wallet.services.ledger import account_freeze, wallet_account
from apps.wallet.services.topups import TopUpMismatch, topup_credit

from .stripe_flows import deliver, topup_checkout
from .stripe_server import API_KEY

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_in(client, client_user):
    client.force_login(client_user)
    return client


def test_topup_view_preset_then_confirm_redirects_to_checkout_with_sdk_request(client_in, client_user, stripe_server):
    # given a verified client on the top-up page
    url = reverse("wallet:topup")
    assert client_in.get(url).status_code == 200

    # when they choose $25, then confirm
    review = client_in.post(url, {"choice": "25"})
    confirmed = client_in.post(url, {"amount": "25.00", "confirm": "1"})

    # then the confirmation step showed the amount, and they are sent to Stripe's checkout page
    assert review.status_code == 200 and b"Confirm your top-up" in review.content
    assert confirmed.status_code == 302
    topup = TopUp.objects.get()
    checkout_url = f"{stripe_server.base_url}/pay/{topup.stripe_checkout_session_id}"
    assert confirmed["Location"] == topup.checkout_url == checkout_url
    assert topup.status == TopUp.Status.PENDING and topup.amount == Decimal("25.00") and topup.user == client_user
    [request] = stripe_server.requests_to("POST", "/v1/checkout/sessions")
    assert request.authorization == f"Bearer {API_KEY}"
    assert request.idempotency_key == f"topup-session:{topup.pk}"
    params = request.params
    assert params["mode"] == "payment"
    assert params["line_items"][0]["price_data"]["unit_amount"] == "2500"
    assert params["line_items"][0]["price_data"]["currency"] == "usd"
    assert params["metadata"] == {"purpose": "topup", "topup_id": str(topup.pk), "user_id": str(client_user.pk)}
    assert params["client_reference_id"] == str(topup.pk)
    assert params["success_url"] == "http://testserver/wallet/topup/success/?session_id={CHECKOUT_SESSION_ID}"
    assert params["cancel_url"] == "http://testserver/wallet/topup/cancel/"
    # and nothing was credited: money moves only when Stripe confirms the payment
    assert not Transaction.objects.exists()


def test_topup_view_custom_amount_within_limits_shows_confirmation(client_in, stripe_server):
    # when
    response = client_in.post(reverse("wallet:topup"), {"choice": "other", "other_amount": "42.50"})
    # then
    assert response.status_code == 200
    assert b"Add $42.50 to your wallet" in response.content
    assert not TopUp.objects.exists() and not stripe_server.requests


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"choice": "other", "other_amount": "4.99"}, b"between $5.00 and $500.00"),
        ({"choice": "other", "other_amount": "500.01"}, b"between $5.00 and $500.00"),
        ({"choice": "other", "other_amount": ""}, b"Enter the amount you want to add."),
        ({"choice": "other", "other_amount": "ten"}, b"Enter a number."),
        ({"choice": "7"}, b"Select a valid choice."),
        ({}, b"This field is required."),
    ],
)
def test_topup_view_bad_amount_400_and_nothing_created(client_in, stripe_server, data, message):
    # when
    response = client_in.post(reverse("wallet:topup"), data)
    # then
    assert response.status_code == 400
    assert message in response.content
    assert not TopUp.objects.exists() and not stripe_server.requests


def test_topup_view_confirm_with_tampered_amount_creates_nothing(client_in, stripe_server):
    # when the hidden amount is edited to something outside the limits
    response = client_in.post(reverse("wallet:topup"), {"amount": "5000.00", "confirm": "1"}, follow=True)
    # then
    assert b"That amount is not possible" in response.content
    assert not TopUp.objects.exists() and not stripe_server.requests


def test_topup_view_unverified_email_redirected_to_email_page(client, stripe_server):
    # given
    user = UserFactory(verified=False)
    client.force_login(user)
    # when
    response = client.post(reverse("wallet:topup"), {"amount": "25.00", "confirm": "1"})
    # then
    assert response.status_code == 302 and response["Location"] == reverse("account_email")
    assert not TopUp.objects.exists() and not stripe_server.requests


def test_topup_view_anonymous_redirected_to_login(client, stripe_server):
    response = client.get(reverse("wallet:topup"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_topup_view_without_stripe_keys_says_card_payments_not_configured(client_in, settings):
    # given no Stripe keys (the test settings have none)
    assert settings.STRIPE_SECRET_KEY == ""
    # when
    page = client_in.get(reverse("wallet:topup"))
    posted = client_in.post(reverse("wallet:topup"), {"amount": "25.00", "confirm": "1"})
    # then
    assert b"Card payments are not configured on this server" in page.content
    assert b"adjustment" in page.content
    assert b'name="choice"' not in page.content
    assert posted.status_code == 200 and not TopUp.objects.exists()


def test_topup_start_frozen_wallet_refused(client_in, client_user, stripe_server):
    # given a wallet frozen by a dispute
    from django.db import transaction

    with transaction.atomic():
        account_freeze(account=wallet_account(client_user), reason="Payment dispute dp_1")
    # when
    response = client_in.post(reverse("wallet:topup"), {"amount": "25.00", "confirm": "1"}, follow=True)
    # then
    assert b"frozen" in response.content
    assert not TopUp.objects.exists() and not stripe_server.requests


def test_topup_start_stripe_error_marks_failed_and_says_so(client_in, stripe_server):
    # given Stripe refuses the request
    stripe_server.fail_next("POST", "/v1/checkout/sessions", status=400)
    # when
    response = client_in.post(reverse("wallet:topup"), {"amount": "25.00", "confirm": "1"}, follow=True)
    # then
    assert b"Card payments are unavailable right now" in response.content
    assert TopUp.objects.get().status == TopUp.Status.FAILED
    assert not Transaction.objects.exists()


def test_topup_success_page_unpaid_shows_processing_and_credits_nothing(client_in, client_user, stripe_server):
    # given a session not paid yet
    topup = topup_checkout(client_user)
    # when
    response = client_in.get(reverse("wallet:topup_success"), {"session_id": topup.stripe_checkout_session_id})
    # then the page asked Stripe and shows the real state
    assert response.status_code == 200
    assert b"Payment processing" in response.content
    assert stripe_server.requests_to("GET", f"/v1/checkout/sessions/{topup.stripe_checkout_session_id}")
    assert not Transaction.objects.exists()
    assert wallet_balance(user=client_user) == Decimal("0.00")


def test_topup_success_page_paid_before_webhook_credits_once_then_webhook_changes_nothing(
    client_in, client_user, stripe_server
):
    # given the client paid and comes back before Stripe's webhook
    topup = topup_checkout(client_user, "40.00")
    session = stripe_server.session_pay(topup.stripe_checkout_session_id)
    # when the success page is shown twice, then the webhook arrives and is processed
    first = client_in.get(reverse("wallet:topup_success"), {"session_id": session["id"]})
    client_in.get(reverse("wallet:topup_success"), {"session_id": session["id"]})
    deliver(client_in, stripe_server, "checkout.session.completed", session)
    from apps.wallet.services.webhooks import stripe_events_process_received

    stripe_events_process_received()
    # then exactly one credit, keyed by the Checkout Session
    assert b"Payment received" in first.content and b"$40.00" in first.content
    txn = Transaction.objects.get()
    assert txn.kind == "top_up" and txn.idempotency_key == f"topup:{session['id']}"
    assert txn.stripe_checkout_session_id == session["id"]
    assert txn.stripe_payment_intent_id == session["payment_intent"]
    assert {p.account.code: p.amount for p in txn.postings.all()} == {
        "stripe:cash": Decimal("-40.00"),
        f"wallet:{client_user.pk}": Decimal("40.00"),
    }
    assert wallet_balance(user=client_user) == Decimal("40.00")
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.PAID and topup.paid_at is not None
    assert AuditLog.objects.filter(action="wallet.topup_credited", target_id=str(topup.pk)).count() == 1


def test_topup_success_page_other_users_session_404(client, client_user, other_client_user, stripe_server):
    # given someone else's top-up
    topup = topup_checkout(other_client_user)
    client.force_login(client_user)
    # when
    response = client.get(reverse("wallet:topup_success"), {"session_id": topup.stripe_checkout_session_id})
    # then
    assert response.status_code == 404
    assert not stripe_server.requests_to("GET", f"/v1/checkout/sessions/{topup.stripe_checkout_session_id}")


def test_topup_success_page_htmx_poll_returns_status_partial(client_in, client_user, stripe_server):
    topup = topup_checkout(client_user)
    response = client_in.get(
        reverse("wallet:topup_success"), {"session_id": topup.stripe_checkout_session_id}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response.content.lstrip().startswith(b"{#") is False
    assert b'id="topup-status"' in response.content and b"<html" not in response.content
    assert b'hx-trigger="every 3s"' in response.content


def test_topup_cancel_page_says_nothing_was_charged(client_in, stripe_server):
    response = client_in.get(reverse("wallet:topup_cancel"))
    assert response.status_code == 200 and b"Nothing was charged" in response.content


def test_topup_credit_amount_not_matching_topup_refused(client_user, stripe_server):
    # given a paid session whose amount differs from the top-up (a forged or mixed-up session)
    topup = topup_checkout(client_user, "25.00")
    session = stripe_server.session_pay(topup.stripe_checkout_session_id)
    session["amount_total"] = 99900
    # when / then
    with pytest.raises(TopUpMismatch):
        topup_credit(session=session, source="test")
    assert not Transaction.objects.exists()
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.PENDING


def test_topup_credit_metadata_of_other_user_refused(client_user, other_client_user, stripe_server):
    topup = topup_checkout(client_user, "25.00")
    session = stripe_server.session_pay(topup.stripe_checkout_session_id)
    session["metadata"] = {"topup_id": str(topup.pk), "user_id": str(other_client_user.pk)}
    with pytest.raises(TopUpMismatch):
        topup_credit(session=session, source="test")
    assert not Transaction.objects.exists()


def test_topup_credit_unknown_session_refused(client_user, stripe_server):
    topup = topup_checkout(client_user, "25.00")
    session = stripe_server.session_pay(topup.stripe_checkout_session_id)
    session["id"] = "cs_test_unknown"
    with pytest.raises(TopUpMismatch):
        topup_credit(session=session, source="test")
    assert not Transaction.objects.exists()


def test_wallet_home_shows_topup_form_with_presets(client_in, stripe_server):
    response = client_in.get(reverse("wallet:home"))
    assert response.status_code == 200
    content = response.content.decode()
    assert f'action="{reverse("wallet:topup")}"' in content
    for preset in ("10", "25", "50", "100"):
        assert f'value="{preset}"' in content
    assert 'name="other_amount"' in content and "Between $5.00 and $500.00." in content


def test_wallet_home_without_stripe_keys_says_card_payments_not_configured(client_in):
    response = client_in.get(reverse("wallet:home"))
    assert b"Card payments are not configured on this server" in response.content
    assert b'name="choice"' not in response.content
