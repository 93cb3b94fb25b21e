"""The ledger check of livestream payments: every ticket and gift has its own transaction of its kind, booked to
its stream, debiting its payer's wallet by its price; anything else is reported."""

from decimal import Decimal

import pytest

from apps.live.checks import payments_match_ledger
from apps.live.models import StreamGift
from apps.live.services.payments import gift_send, ticket_buy
from apps.wallet.enums import TransactionKind
from apps.wallet.services.ledger import house_account, transaction_post, wallet_account

from .factories import funded, gift_kind, live_stream

pytestmark = pytest.mark.django_db


def test_payments_match_ledger_clean_after_real_payments():
    # given
    stream = live_stream(visibility="premium", price="4.00")
    viewer = funded()
    ticket_buy(actor=viewer, stream_id=stream.pk)
    gift_send(actor=viewer, stream_id=stream.pk, gift_kind_id=gift_kind("1.50").pk, client_key="check-key-01")
    # when / then
    assert payments_match_ledger() == []


def test_payments_match_ledger_reports_a_gift_without_its_payment():
    # given: a gift row written around the service, pointing at a top-up instead of a gift payment
    stream = live_stream()
    viewer = funded()
    kind = gift_kind("2.00")
    stray = transaction_post(
        kind=TransactionKind.TOP_UP,
        idempotency_key="check-stray-topup",
        postings=[(house_account("stripe:cash"), Decimal("-2.00")), (wallet_account(viewer), Decimal("2.00"))],
    )
    StreamGift.objects.create(
        stream=stream,
        sender=viewer,
        gift_kind=kind,
        name=kind.name,
        animation=kind.animation,
        price_amount=Decimal("2.00"),
        reader_amount=Decimal("1.40"),
        transaction=stray,
        client_key="stray-gift-01",
    )
    # when
    violations = payments_match_ledger()
    # then
    assert len(violations) == 1
    assert violations[0]["what"] == "gift" and violations[0]["kind"] == "top_up"
