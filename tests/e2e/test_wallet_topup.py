"""A client tops up their wallet in a real browser: wallet page → amount → confirmation → Stripe Checkout (the
local server that speaks Stripe's API serves the checkout page) → signed checkout.session.completed webhook
posted to the live server → event processed → success page and wallet show the new balance and the
transaction. axe-core runs on the wallet, confirmation and success pages."""

import pytest
from django.urls import reverse

from apps.accounts.tests.factories import UserFactory
from apps.wallet.models import StripeEvent, TopUp
from apps.wallet.services.webhooks import stripe_events_process_received
from tests.e2e.conftest import assert_axe_clean, post_signed_webhook, sign_in_with_session


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_wallet_topup_checkout_webhook_then_balance_and_history(live_server, page, stripe_server):
    # given a verified client, signed in, with an empty wallet
    user = UserFactory(email="topup.client@example.com")
    sign_in_with_session(page, live_server.url, user)
    page.goto(live_server.url + reverse("wallet:home"))
    assert page.get_by_test_id("wallet-balance").inner_text().strip() == "$0.00"
    assert_axe_clean(page)

    # when they choose $25 and continue, then confirm
    page.get_by_label("$25").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Confirm your top-up").wait_for()
    assert_axe_clean(page)
    page.get_by_role("button", name="Pay $25.00 by card").click()

    # then the browser is on Stripe Checkout (the local server's checkout page) for the new session
    page.get_by_role("heading", name="Test checkout").wait_for()
    topup = TopUp.objects.get(user=user)
    assert page.url == f"{stripe_server.base_url}/pay/{topup.stripe_checkout_session_id}"
    assert topup.status == TopUp.Status.PENDING

    # when the client pays and Stripe sends the signed webhook to the live server
    session = stripe_server.session_pay(topup.stripe_checkout_session_id)
    event = stripe_server.event("checkout.session.completed", session)
    assert post_signed_webhook(live_server.url + reverse("wallet:stripe_webhook"), event) == 200
    assert StripeEvent.objects.get().status == StripeEvent.Status.RECEIVED
    # (the Celery worker's job, run here)
    assert stripe_events_process_received() == 1

    # and the client comes back to the success page Stripe redirects to
    page.goto(session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"]))

    # then it shows the payment received and the new balance
    page.get_by_role("heading", name="Payment received").wait_for()
    assert page.get_by_test_id("wallet-balance").inner_text().strip() == "$25.00"
    assert_axe_clean(page)

    # and the wallet shows the balance and the top-up in its history
    page.goto(live_server.url + reverse("wallet:home"))
    assert page.get_by_test_id("wallet-balance").inner_text().strip() == "$25.00"
    history = page.get_by_role("table", name="Wallet transactions, newest first")
    assert history.get_by_role("link", name="Top-up").count() == 1
    assert "+$25.00" in history.inner_text()
    assert_axe_clean(page)
    topup.refresh_from_db()
    assert topup.status == TopUp.Status.PAID
