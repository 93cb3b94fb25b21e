"""Wallet selectors: every read is scoped to its viewer."""

from decimal import Decimal

import pytest

from apps.core.exceptions import NotFound
from apps.wallet import selectors
from apps.wallet.services.ledger import earnings_account, house_account, transaction_post, wallet_account
from tests.support.money import top_up

D = Decimal


def gift(user, reader, amount: str, key: str):
    return transaction_post(
        kind="gift",
        idempotency_key=key,
        postings=[(wallet_account(user), -D(amount)), (earnings_account(reader), D(amount))],
        user=user,
    )


@pytest.mark.django_db
def test_wallet_entry_list_only_viewers_wallet_signed_newest_first(client_user, other_client_user, reader_user):
    # given
    top_up(client_user, "10.00", "a")
    gift(client_user, reader_user, "4.00", "b")
    top_up(other_client_user, "99.00", "c")
    # when
    entries = list(selectors.wallet_entry_list(viewer=client_user))
    # then
    assert [(e.transaction.kind, e.amount) for e in entries] == [("gift", D("-4.00")), ("top_up", D("10.00"))]


@pytest.mark.django_db
def test_wallet_entry_list_filters_by_kind(client_user, reader_user):
    top_up(client_user, "10.00", "a")
    gift(client_user, reader_user, "4.00", "b")
    assert [e.transaction.kind for e in selectors.wallet_entry_list(viewer=client_user, kind="top_up")] == ["top_up"]


@pytest.mark.django_db
def test_wallet_entry_get_someone_elses_transaction_raises_not_found(client_user, other_client_user):
    # given
    txn = top_up(other_client_user, "10.00", "a")
    # when / then
    with pytest.raises(NotFound):
        selectors.wallet_entry_get(viewer=client_user, transaction_id=txn.pk)
    assert selectors.wallet_entry_get(viewer=other_client_user, transaction_id=txn.pk).amount == D("10.00")


@pytest.mark.django_db
def test_wallet_balance_without_wallet_is_zero(client_user):
    assert selectors.wallet_balance(user=client_user) == D("0.00")
    top_up(client_user, "2.50", "a")
    assert selectors.wallet_balance(user=client_user) == D("2.50")


@pytest.mark.django_db
def test_user_ledger_list_includes_every_account_of_the_user(client_user, reader_user):
    # given
    top_up(client_user, "10.00", "a")
    gift(client_user, reader_user, "4.00", "b")
    # when
    reader_ledger = list(selectors.user_ledger_list(user=reader_user))
    client_ledger = list(selectors.user_ledger_list(user=client_user))
    # then
    assert [t.kind for t in reader_ledger] == ["gift"]
    assert [t.kind for t in client_ledger] == ["gift", "top_up"]
    assert len(client_ledger[0].postings.all()) == 2


@pytest.mark.django_db
def test_balance_of_derives_from_postings(client_user):
    top_up(client_user, "10.00", "a")
    top_up(client_user, "0.01", "b")
    assert selectors.balance_of(house_account("stripe:cash")) == D("-10.01")
    assert selectors.balance_of(wallet_account(client_user)) == D("10.01")
