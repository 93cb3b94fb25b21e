"""What a posting costs in statements, and the rules that hold now that the key is looked up only when needed:
a replay still returns the first transaction even when the wallet could no longer pay it; a refusal writes
nothing and leaves its key free; the accounts of a payment are read in one query."""

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.accounts.tests.factories import ReaderFactory, UserFactory
from apps.wallet.exceptions import AccountFrozen, InsufficientFunds
from apps.wallet.models import Account, Transaction
from apps.wallet.services.ledger import (
    account_freeze,
    accounts_get,
    earnings_account,
    earnings_spec,
    house_account,
    house_spec,
    ledger_post,
    transaction_post,
    wallet_account,
    wallet_spec,
)
from apps.wallet.services.shares import reader_share_postings
from tests.support.money import top_up

D = Decimal
pytestmark = pytest.mark.django_db


def _statements(captured: CaptureQueriesContext) -> list[str]:
    """The statements sent, without the savepoints of the test's own transaction."""
    return [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]


def _gift(user, reader, key: str, amount: str = "1.00") -> Transaction:
    shares = reader_share_postings(amount=D(amount), reader=reader, payer=user)
    return transaction_post(kind="gift", idempotency_key=key, postings=shares.postings, user=user)


# --- replays and refusals ------------------------------------------------------------------------------


def test_transaction_post_replay_after_the_wallet_is_spent_returns_first_transaction(client_user, reader_user):
    # given: a gift that spent the whole wallet
    top_up(client_user, "1.00")
    first = _gift(client_user, reader_user, "gift:spent:1")
    # when: the same gift again (a retried request)
    again = _gift(client_user, reader_user, "gift:spent:1")
    # then: the first transaction, not "not enough money", and nothing more written
    assert again.pk == first.pk
    assert Transaction.objects.filter(kind="gift").count() == 1
    assert wallet_account(client_user).balance == D("0.00")
    assert earnings_account(reader_user).balance == D("0.70")


def test_transaction_post_replay_after_the_wallet_is_frozen_returns_first_transaction(client_user, reader_user):
    # given
    top_up(client_user, "5.00")
    first = _gift(client_user, reader_user, "gift:frozen:1")
    with transaction.atomic():
        account_freeze(account=wallet_account(client_user), reason="Dispute dp_9 opened")
    # when
    again = _gift(client_user, reader_user, "gift:frozen:1")
    # then
    assert again.pk == first.pk
    with pytest.raises(AccountFrozen):
        _gift(client_user, reader_user, "gift:frozen:2")
    assert wallet_account(client_user).balance == D("4.00")


def test_transaction_post_refused_writes_nothing_and_leaves_its_key_free(client_user, reader_user):
    # given
    top_up(client_user, "0.50")
    # when: refused, then the wallet is topped up and the same request is sent again
    with pytest.raises(InsufficientFunds):
        _gift(client_user, reader_user, "gift:later:1")
    assert not Transaction.objects.filter(idempotency_key="gift:later:1").exists()
    top_up(client_user, "1.00")
    txn = _gift(client_user, reader_user, "gift:later:1")
    # then
    assert txn.idempotency_key == "gift:later:1"
    assert wallet_account(client_user).balance == D("0.50")


# --- statements ------------------------------------------------------------------------------------------


def test_ledger_post_locks_and_writes_in_two_statements(client_user, reader_user):
    # given: the accounts exist and are known
    top_up(client_user, "3.00")
    postings = reader_share_postings(amount=D("1.00"), reader=reader_user, payer=client_user).postings
    # when
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        ledger_post(kind="gift", idempotency_key="gift:count:1", postings=postings, user=client_user)
    # then: the lock of the wallet and the earnings, then one statement writing everything
    statements = _statements(captured)
    assert len(statements) == 2, statements
    assert "FOR UPDATE" in statements[0]
    assert statements[1].startswith("WITH t AS (INSERT INTO wallet_transaction")
    assert wallet_account(client_user).balance == D("2.00")


def test_accounts_get_reads_existing_accounts_in_one_query_in_their_order(client_user, reader_user):
    # given
    wallet, earnings, revenue = (
        wallet_account(client_user),
        earnings_account(reader_user),
        house_account("platform:revenue"),
    )
    # when
    with CaptureQueriesContext(connection) as captured:
        found = accounts_get(earnings_spec(reader_user), house_spec("platform:revenue"), wallet_spec(client_user))
    # then
    assert len(_statements(captured)) == 1
    assert [account.pk for account in found] == [earnings.pk, revenue.pk, wallet.pk]
    assert [account.kind for account in found] == ["earnings", "platform_revenue", "wallet"]


def test_accounts_get_creates_missing_accounts_once(client_user):
    # given
    reader = ReaderFactory()
    # when
    first = accounts_get(wallet_spec(client_user), earnings_spec(reader))
    second = accounts_get(wallet_spec(client_user), earnings_spec(reader))
    # then
    assert [a.pk for a in first] == [a.pk for a in second]
    assert Account.objects.filter(code__in=[f"wallet:{client_user.pk}", f"earnings:{reader.pk}"]).count() == 2
    assert (first[0].user_id, first[1].user_id, first[1].kind) == (client_user.pk, reader.pk, "earnings")


def test_reader_share_postings_from_payer_same_as_from_their_wallet(client_user, reader_user):
    # when
    by_payer = reader_share_postings(amount=D("2.50"), reader=reader_user, payer=client_user)
    by_account = reader_share_postings(amount=D("2.50"), reader=reader_user, source_account=wallet_account(client_user))
    # then
    assert [(a.code, amount) for a, amount in by_payer.postings] == [
        (a.code, amount) for a, amount in by_account.postings
    ]
    assert [(a.code, amount) for a, amount in by_payer.postings] == [
        (f"wallet:{client_user.pk}", D("-2.50")),
        (f"earnings:{reader_user.pk}", D("1.75")),
        ("platform:revenue", D("0.75")),
    ]


def test_reader_share_postings_needs_exactly_one_source(client_user, reader_user):
    with pytest.raises(ValueError):
        reader_share_postings(amount=D("1.00"), reader=reader_user)
    with pytest.raises(ValueError):
        reader_share_postings(
            amount=D("1.00"), reader=reader_user, payer=client_user, source_account=wallet_account(UserFactory())
        )
