"""Connect Express onboarding from the reader's payout page, against the local Stripe server, and the KYC mirror
fed by ``account.updated`` on the Connect webhook endpoint (its own signing secret)."""

import urllib.error
import urllib.request

import pytest
from django.urls import reverse

from apps.accounts.tests.factories import UserFactory
from apps.core.models import AuditLog
from apps.payouts.models import PayoutAccount
from apps.readings.tests.helpers import make_reader
from apps.wallet.models import StripeEvent
from apps.wallet.services.webhooks import stripe_events_process_received
from apps.wallet.tests.stripe_server import CONNECT_WEBHOOK_SECRET, webhook_post

from .helpers import verified_reader

pytestmark = pytest.mark.django_db

CONNECT_WEBHOOK = "/payouts/stripe/connect-webhook/"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _visit(url: str) -> str:
    """Open Stripe's onboarding link like a browser and return where it sends the reader back."""
    try:
        urllib.request.build_opener(_NoRedirect).open(url, timeout=10)
    except urllib.error.HTTPError as answer:
        assert answer.code == 302
        return answer.headers["Location"]
    raise AssertionError("the onboarding link did not redirect")


def test_onboarding_creates_an_express_account_and_the_return_page_mirrors_it(client, stripe_server):
    # given a reader signed in
    reader = make_reader()
    client.force_login(reader)
    # when they start onboarding
    response = client.post(reverse("payouts:onboard"))
    # then an Express account exists at Stripe and they are sent to its Account Link
    assert response.status_code == 302 and response["Location"].startswith(stripe_server.base_url + "/connect/onboard/")
    (created,) = stripe_server.requests_to("POST", "/v1/accounts")
    assert created.params["type"] == "express" and created.params["capabilities"]["transfers"]["requested"] == "true"
    assert created.idempotency_key == f"connect-account:{reader.pk}"
    account = PayoutAccount.objects.get(reader=reader)
    assert account.stripe_account_id in stripe_server.accounts and not account.details_submitted
    link = stripe_server.requests_to("POST", "/v1/account_links")[0].params
    assert link["return_url"].endswith(reverse("payouts:onboard_return"))
    assert link["refresh_url"].endswith(reverse("payouts:onboard_refresh"))
    # when they finish on Stripe and come back to the return URL
    back = _visit(response["Location"])
    page = client.get(back.replace("http://testserver", ""), follow=True)
    # then the account is re-read from Stripe and mirrored
    account.refresh_from_db()
    assert account.details_submitted and account.payouts_enabled and account.transfers_active
    assert account.requirements_currently_due == [] and account.stripe_verified
    assert b"Your payout account is set up with Stripe." in page.content
    # and the admins' own check still stands between them and a payout, said in plain words
    assert b"The SoulSeer team is finishing its own checks of your account." in page.content


def test_onboarding_twice_reuses_the_same_account(client, stripe_server):
    reader = make_reader()
    client.force_login(reader)
    client.post(reverse("payouts:onboard"))
    # when the reader comes back to onboarding (the refresh URL: their link expired)
    response = client.get(reverse("payouts:onboard_refresh"))
    # then a fresh link is made for the same account
    assert response.status_code == 302
    assert len(stripe_server.accounts) == 1
    assert len(stripe_server.requests_to("POST", "/v1/account_links")) == 2


def test_onboarding_without_stripe_says_so_and_creates_nothing(client):
    reader = make_reader()
    client.force_login(reader)
    page = client.post(reverse("payouts:onboard"), follow=True)
    assert b"Payouts need Stripe, which is not configured on this server yet." in page.content
    assert not PayoutAccount.objects.filter(stripe_account_id__isnull=False).exists()


def test_onboarding_is_for_readers_only(client, stripe_server):
    client.force_login(UserFactory())
    assert client.post(reverse("payouts:onboard")).status_code == 404
    assert stripe_server.requests_to("POST", "/v1/accounts") == []


def test_account_updated_on_the_connect_endpoint_mirrors_kyc_and_is_shown_in_plain_words(client, stripe_server):
    # given a verified reader
    reader = verified_reader(stripe_server)
    account = PayoutAccount.objects.get(reader=reader)
    # when Stripe reports that it needs an identity document and stopped payouts
    obj = stripe_server.account_require(
        account.stripe_account_id,
        past_due=["individual.verification.document"],
        disabled_reason="requirements.past_due",
    )
    event = stripe_server.event("account.updated", obj, account=account.stripe_account_id)
    response = webhook_post(client, event, secret=CONNECT_WEBHOOK_SECRET, path=CONNECT_WEBHOOK)
    assert response.status_code == 200
    stripe_events_process_received()
    # then the mirror says so, audited, and the reader reads it in plain words
    account.refresh_from_db()
    assert account.requirements_past_due == ["individual.verification.document"]
    assert account.disabled_reason == "requirements.past_due" and not account.is_verified
    assert AuditLog.objects.filter(action="payouts.kyc_updated", details__source="webhook").exists()
    client.force_login(reader)
    page = client.get(reverse("payouts:home")).content.decode()
    assert "Stripe has paused payouts to your account until it gets the details listed below." in page
    assert "a photo of an identity document" in page


def test_connect_endpoint_refuses_the_platform_secret_and_writes_nothing(client, stripe_server):
    reader = verified_reader(stripe_server)
    account = PayoutAccount.objects.get(reader=reader)
    event = stripe_server.event("account.updated", stripe_server.accounts[account.stripe_account_id])
    # when an event is signed with the platform endpoint's secret, not the Connect one
    response = webhook_post(client, event, path=CONNECT_WEBHOOK)
    # then 400 and nothing stored
    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


def test_account_updated_for_an_unknown_account_is_done_and_changes_nothing(client, stripe_server):
    obj = stripe_server.public(stripe_server.accounts.get("x") or {"id": "acct_unknown", "object": "account"})
    event = stripe_server.event("account.updated", obj, account="acct_unknown")
    assert webhook_post(client, event, secret=CONNECT_WEBHOOK_SECRET, path=CONNECT_WEBHOOK).status_code == 200
    stripe_events_process_received()
    assert StripeEvent.objects.get().status == StripeEvent.Status.DONE
    assert not PayoutAccount.objects.exists()


def test_onboarding_while_stripe_is_down_says_so_and_attaches_nothing(client, stripe_server):
    reader = make_reader()
    client.force_login(reader)
    stripe_server.fail_next("POST", "/v1/accounts", status=503, times=3)  # the SDK retries twice itself
    page = client.post(reverse("payouts:onboard"), follow=True)
    assert b"Stripe could not be reached just now." in page.content
    assert not PayoutAccount.objects.filter(stripe_account_id__isnull=False).exists()
