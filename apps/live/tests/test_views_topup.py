"""Top up and send: a gift the wallet cannot pay offers a card top-up through Stripe Checkout (the local server
that answers like Stripe); back from it the wallet is credited first, then the gift is sent once with its key."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from apps.live.models import StreamGift
from apps.wallet.models import TopUp

from .factories import balance, funded, gift_kind, live_stream

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _as(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def test_gift_without_funds_top_up_and_send_credits_first_then_sends_once(stripe_server):
    # given: a $5 gift, a wallet holding $1
    stream = live_stream()
    kind = gift_kind("5.00", name="Lantern of dawn")
    viewer = funded(amount="1.00")
    browser = _as(viewer)
    refused = browser.post(
        reverse("live:gift", args=[stream.pk]), {"gift_kind": kind.pk, "key": "topup-send-1"}, **HTMX
    )
    # when: the viewer chooses "Top up and send" for $10, pays on Checkout and comes back
    started = browser.post(
        reverse("live:gift_topup", args=[stream.pk]), {"gift_kind": kind.pk, "key": "topup-send-1", "amount": "10.00"}
    )
    topup = TopUp.objects.get(user=viewer)
    stripe_server.session_pay(topup.stripe_checkout_session_id)
    back = browser.get(
        reverse("live:gift_topup_return", args=[stream.pk]),
        {"gift_kind": kind.pk, "key": "topup-send-1", "session_id": topup.stripe_checkout_session_id},
    )
    credited = balance(f"wallet:{viewer.pk}")
    sent = browser.post(reverse("live:gift", args=[stream.pk]), {"gift_kind": kind.pk, "key": "topup-send-1"})
    again = browser.post(reverse("live:gift", args=[stream.pk]), {"gift_kind": kind.pk, "key": "topup-send-1"})
    # then
    assert refused.status_code == 402 and b'data-testid="top-up-and-send"' in refused.content
    assert started.status_code == 302 and started["Location"] == topup.checkout_url
    assert b'data-testid="topup-paid"' in back.content
    assert b"Send Lantern of dawn ($5.00)" in back.content
    assert credited == Decimal("11.00")
    assert (sent.status_code, again.status_code) == (302, 302)
    assert StreamGift.objects.filter(sender=viewer).count() == 1
    assert balance(f"wallet:{viewer.pk}") == Decimal("6.00")
    assert balance(f"earnings:{stream.host_id}") == Decimal("3.50")
    call_command("ledger_check")


def test_top_up_return_unpaid_says_so_and_sends_nothing(stripe_server):
    # given
    stream = live_stream()
    kind = gift_kind("5.00")
    viewer = funded(amount="1.00")
    browser = _as(viewer)
    browser.post(
        reverse("live:gift_topup", args=[stream.pk]), {"gift_kind": kind.pk, "key": "unpaid-key-1", "amount": "10"}
    )
    topup = TopUp.objects.get(user=viewer)
    # when: back without paying
    back = browser.get(
        reverse("live:gift_topup_return", args=[stream.pk]),
        {"gift_kind": kind.pk, "key": "unpaid-key-1", "session_id": topup.stripe_checkout_session_id},
    )
    # then
    assert b'data-testid="topup-pending"' in back.content
    assert balance(f"wallet:{viewer.pk}") == Decimal("1.00")
    assert not StreamGift.objects.exists()


def test_top_up_return_someone_elses_session_not_found(stripe_server):
    # given
    stream = live_stream()
    kind = gift_kind("5.00")
    owner, other = funded(amount="1.00"), funded(amount="1.00")
    _as(owner).post(
        reverse("live:gift_topup", args=[stream.pk]), {"gift_kind": kind.pk, "key": "owner-key-1", "amount": "10"}
    )
    topup = TopUp.objects.get(user=owner)
    # when
    response = _as(other).get(
        reverse("live:gift_topup_return", args=[stream.pk]), {"session_id": topup.stripe_checkout_session_id}
    )
    # then
    assert response.status_code == 404


def test_gift_without_funds_no_stripe_offers_only_the_wallet_top_up(settings):
    # given
    settings.STRIPE_SECRET_KEY = ""
    stream = live_stream()
    kind = gift_kind("5.00")
    viewer = funded(amount="1.00")
    # when
    refused = _as(viewer).post(
        reverse("live:gift", args=[stream.pk]), {"gift_kind": kind.pk, "key": "nostripe-1"}, **HTMX
    )
    # then
    assert refused.status_code == 402
    assert b'data-testid="top-up-and-send"' not in refused.content
    assert b"Top up your wallet" in refused.content
