"""The reader dashboard's earnings by source: sums of the ledger's credits to the reader's earnings account."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.tests.factories import UserFactory
from apps.live.services.payments import gift_send, ticket_buy
from apps.live.tests.factories import funded, gift_kind, live_stream, make_host
from apps.wallet.enums import TransactionKind
from apps.wallet.selectors import earnings_by_source
from apps.wallet.services.ledger import earnings_account, house_account, transaction_post, wallet_account
from apps.wallet.services.shares import reader_share_postings

pytestmark = pytest.mark.django_db


def test_earnings_by_source_sums_credits_by_kind_and_leaves_debits_out():
    # given: a ticket ($5 → $3.50), a gift ($2 → $1.40), a paid reply ($3 → $2.10), and a payout debit
    host = make_host()
    stream = live_stream(host, visibility="premium", price="5.00")
    client = funded(amount="30.00")
    ticket_buy(actor=client, stream_id=stream.pk)
    gift_send(actor=client, stream_id=stream.pk, gift_kind_id=gift_kind("2.00").pk, client_key="earnings-key-1")
    shares = reader_share_postings(amount=Decimal("3.00"), reader=host, source_account=wallet_account(client))
    transaction_post(kind=TransactionKind.PAID_REPLY, idempotency_key="earnings-reply-1", postings=shares.postings)
    transaction_post(
        kind=TransactionKind.PAYOUT,
        idempotency_key="earnings-payout-1",
        postings=[(earnings_account(host), Decimal("-1.00")), (house_account("payouts:in_transit"), Decimal("1.00"))],
    )
    # when
    result = earnings_by_source(user=host)
    # then
    by_kind = {source["kind"]: source["amount"] for source in result["sources"]}
    assert by_kind["ticket"] == Decimal("3.50")
    assert by_kind["gift"] == Decimal("1.40")
    assert by_kind["paid_reply"] == Decimal("2.10")
    assert by_kind["session_settlement"] == Decimal("0.00")
    assert "other" not in by_kind
    assert result["total"] == Decimal("7.00")


def test_earnings_by_source_counts_a_returned_payout_or_refund_once_and_shows_adjustments():
    # given: a $10 gift ($7 earned), paid out and returned, clawed back by a refund that came back, and $5 credited
    host = make_host()
    stream = live_stream(host)
    gift_send(actor=funded(), stream_id=stream.pk, gift_kind_id=gift_kind("10.00").pk, client_key="returned-key-1")
    earnings, cash = earnings_account(host), house_account("stripe:cash")
    for kind, amount in [
        (TransactionKind.PAYOUT, Decimal("-7.00")),
        (TransactionKind.PAYOUT_REVERSAL, Decimal("7.00")),
        (TransactionKind.REFUND, Decimal("-7.00")),
        (TransactionKind.REFUND_REVERSAL, Decimal("7.00")),
        (TransactionKind.ADJUSTMENT, Decimal("5.00")),
    ]:
        transaction_post(kind=kind, idempotency_key=f"returned-{kind}", postings=[(earnings, amount), (cash, -amount)])
    # when
    result = earnings_by_source(user=host)
    # then the gift counts once, the adjustment shows as such, and nothing else is called earnings
    by_kind = {source["kind"]: source["amount"] for source in result["sources"]}
    assert by_kind["gift"] == Decimal("7.00")
    assert by_kind["adjustment"] == Decimal("5.00")
    assert "other" not in by_kind
    assert result["total"] == Decimal("12.00") == earnings.__class__.objects.get(pk=earnings.pk).balance


def test_earnings_panel_readers_only_and_shows_the_total():
    # given
    host = make_host()
    stream = live_stream(host)
    gift_send(actor=funded(), stream_id=stream.pk, gift_kind_id=gift_kind("10.00").pk, client_key="panel-key-01")
    reader_browser, client_browser = Client(), Client()
    reader_browser.force_login(host)
    client_browser.force_login(UserFactory())
    # when
    panel = reader_browser.get(reverse("wallet:earnings_panel"))
    # then
    assert panel.status_code == 200
    assert b'data-testid="earnings-total-earned"><strong>$7.00' in panel.content
    assert b"Livestream gifts" in panel.content
    assert client_browser.get(reverse("wallet:earnings_panel")).status_code == 404
