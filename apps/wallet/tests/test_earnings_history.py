"""A reader's earnings on the wallet page: balance and history (e.g. unlocked paid replies), each row opening its
transaction; nobody else can open it. The client's history shows the same payment from their side."""

from decimal import Decimal

import pytest
from django.urls import reverse

from apps.accounts.tests.factories import ReaderFactory
from apps.messaging.services import message_unlock
from apps.messaging.tests.factories import conversation_with, fund_wallet, paid_reply
from apps.wallet.models import Transaction

pytestmark = pytest.mark.django_db


@pytest.fixture
def unlocked(client_user):
    conversation = conversation_with(client=client_user)
    fund_wallet(client_user, Decimal("10.00"))
    reply = message_unlock(actor=client_user, message_id=paid_reply(conversation, "x", price=Decimal("2.00")).pk)
    return conversation.reader, reply.transaction


def test_wallet_home_reader_earnings_history_shows_paid_reply_and_balance(client, unlocked):
    # given
    reader, txn = unlocked
    client.force_login(reader)
    # when
    page = client.get(reverse("wallet:home"), {"account": "earnings"}).content.decode()
    filtered = client.get(reverse("wallet:home"), {"account": "earnings", "kind": "gift"}).content.decode()
    detail = client.get(reverse("wallet:transaction_detail", args=[txn.pk]))
    # then
    assert "Earnings history" in page and 'data-testid="earnings-balance">$1.40<' in page
    assert "Paid reply" in page and "+$1.40" in page
    assert reverse("wallet:transaction_detail", args=[txn.pk]) in page
    assert "+$1.40" not in filtered and "No transactions of this type" in filtered
    assert 'name="account" value="earnings"' in filtered
    assert detail.status_code == 200 and "+$1.40" in detail.content.decode()


def test_wallet_home_client_paid_reply_in_history_and_no_earnings_section(client, client_user, unlocked):
    # given
    _, txn = unlocked
    client.force_login(client_user)
    # when: a client asking for earnings gets their wallet
    page = client.get(reverse("wallet:home"), {"account": "earnings"}).content.decode()
    detail = client.get(reverse("wallet:transaction_detail", args=[txn.pk])).content.decode()
    # then
    assert "earnings-balance" not in page and "Earnings history" not in page
    assert "Paid reply" in page and "-$2.00" in page.replace("−", "-")
    assert "-$2.00" in detail.replace("−", "-")


def test_transaction_detail_other_readers_earnings_404(client, unlocked):
    # given
    _, txn = unlocked
    client.force_login(ReaderFactory())
    # when / then
    assert client.get(reverse("wallet:transaction_detail", args=[txn.pk])).status_code == 404
    assert Transaction.objects.filter(pk=txn.pk).exists()


def test_wallet_home_reader_opens_on_earnings_and_can_switch_to_wallet(client, unlocked):
    # given
    reader, _ = unlocked
    client.force_login(reader)
    # when
    first = client.get(reverse("wallet:home")).content.decode()
    wallet = client.get(reverse("wallet:home"), {"account": "wallet"}).content.decode()
    # then: the earnings are what a reader sees first; the wallet is one link away
    assert "Earnings history" in first and "+$1.40" in first
    assert f'href="{reverse("wallet:home")}?account=wallet"' in first
    assert "Earnings history" not in wallet and 'name="account" value="wallet"' in wallet
