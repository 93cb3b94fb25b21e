"""The posting service and the database rules behind it (SPEC §3)."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, ProgrammingError, connection, transaction
from hypothesis import given
from hypothesis import strategies as st

from apps.accounts.tests.factories import UserFactory
from apps.wallet.exceptions import AccountFrozen, IdempotencyConflict, InsufficientFunds, UnbalancedTransaction
from apps.wallet.models import Account, Posting, Transaction
from apps.wallet.selectors import balance_of
from apps.wallet.services.ledger import (
    account_freeze,
    account_unfreeze,
    earnings_account,
    hold_account,
    house_account,
    ledger_post,
    split_reader_share,
    transaction_post,
    wallet_account,
)
from tests.support.money import top_up

D = Decimal


def ledger_counts() -> tuple[int, int]:
    return Transaction.objects.count(), Posting.objects.count()


# --- posting rules -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_transaction_post_top_up_credits_wallet_and_caches_balance(client_user):
    # given
    wallet = wallet_account(client_user)
    # when
    txn = top_up(client_user, "25.50", "topup:1")
    # then
    wallet.refresh_from_db()
    assert wallet.balance == D("25.50")
    assert balance_of(wallet) == D("25.50")
    assert sorted(p.amount for p in txn.postings.all()) == [D("-25.50"), D("25.50")]
    assert txn.user == client_user


@pytest.mark.django_db
def test_transaction_post_house_account_is_never_cached(client_user):
    # given
    cash = house_account("stripe:cash")
    # when
    top_up(client_user, "10.00", "topup:1")
    top_up(client_user, "5.00", "topup:2")
    # then
    cash.refresh_from_db()
    assert cash.balance == 0
    assert balance_of(cash) == D("-15.00")


@pytest.mark.django_db
def test_transaction_post_unbalanced_raises_and_writes_nothing(client_user):
    # given
    before = ledger_counts()
    # when / then
    with pytest.raises(UnbalancedTransaction):
        transaction_post(
            kind="top_up",
            idempotency_key="k",
            postings=[(house_account("stripe:cash"), D("-10.00")), (wallet_account(client_user), D("9.99"))],
        )
    assert ledger_counts() == before
    assert wallet_account(client_user).balance == 0


@pytest.mark.django_db
@pytest.mark.parametrize("amount", [D("1.005"), D("0.001"), 1.5, "abc", D("NaN"), D("1e12")])
def test_transaction_post_bad_amount_raises_value_error(client_user, amount):
    # given
    before = ledger_counts()
    # when / then
    with pytest.raises(ValueError):
        transaction_post(
            kind="top_up",
            idempotency_key="k",
            postings=[(house_account("stripe:cash"), amount), (wallet_account(client_user), amount)],
        )
    assert ledger_counts() == before


@pytest.mark.django_db
def test_transaction_post_zero_posting_raises_value_error(client_user):
    # given
    cash, wallet, revenue = house_account("stripe:cash"), wallet_account(client_user), house_account("platform:revenue")
    # when / then
    with pytest.raises(ValueError, match="zero"):
        transaction_post(
            kind="top_up", idempotency_key="k", postings=[(cash, D("-1.00")), (wallet, D("1.00")), (revenue, D("0"))]
        )
    assert ledger_counts() == (0, 0)


@pytest.mark.django_db
def test_transaction_post_single_posting_or_repeated_account_refused(client_user):
    # given
    wallet = wallet_account(client_user)
    # when / then
    with pytest.raises(UnbalancedTransaction):
        transaction_post(kind="top_up", idempotency_key="k1", postings=[(wallet, D("1.00"))])
    with pytest.raises(ValueError, match="twice"):
        transaction_post(kind="top_up", idempotency_key="k2", postings=[(wallet, D("1.00")), (wallet, D("-1.00"))])
    assert ledger_counts() == (0, 0)


@pytest.mark.django_db
def test_transaction_post_unknown_kind_or_reference_refused(client_user):
    postings = [(house_account("stripe:cash"), D("-1.00")), (wallet_account(client_user), D("1.00"))]
    with pytest.raises(ValueError, match="kind"):
        transaction_post(kind="bonus", idempotency_key="k", postings=postings)
    with pytest.raises(ValueError, match="references"):
        transaction_post(kind="top_up", idempotency_key="k", postings=postings, invoice_id=3)
    with pytest.raises(ValueError, match="idempotency key"):
        transaction_post(kind="top_up", idempotency_key="", postings=postings)
    assert ledger_counts() == (0, 0)


@pytest.mark.django_db
def test_ledger_post_outside_a_transaction_refused(client_user):
    # given: autocommit (no atomic block around the call)
    postings = [(house_account("stripe:cash"), D("-1.00")), (wallet_account(client_user), D("1.00"))]
    # when / then (pytest-django wraps the test in atomic, so leave it explicitly)
    connection.in_atomic_block, saved = False, connection.in_atomic_block
    try:
        with pytest.raises(RuntimeError, match="inside"):
            ledger_post(kind="top_up", idempotency_key="k", postings=postings)
    finally:
        connection.in_atomic_block = saved


@pytest.mark.django_db
def test_transaction_post_overdraft_raises_insufficient_funds_and_writes_nothing(client_user, reader_user):
    # given
    top_up(client_user, "10.00", "topup:1")
    before = ledger_counts()
    reader_share, platform_share = split_reader_share(D("10.01"))
    # when / then
    with pytest.raises(InsufficientFunds):
        transaction_post(
            kind="gift",
            idempotency_key="gift:1",
            postings=[
                (wallet_account(client_user), D("-10.01")),
                (earnings_account(reader_user), reader_share),
                (house_account("platform:revenue"), platform_share),
            ],
        )
    assert ledger_counts() == before
    assert wallet_account(client_user).balance == D("10.00")
    assert earnings_account(reader_user).balance == 0
    assert not Transaction.objects.filter(idempotency_key="gift:1").exists()


@pytest.mark.django_db
def test_transaction_post_spends_exactly_the_whole_wallet(client_user, reader_user):
    # given
    top_up(client_user, "10.00", "topup:1")
    # when
    transaction_post(
        kind="gift",
        idempotency_key="gift:1",
        postings=[
            (wallet_account(client_user), D("-10.00")),
            (earnings_account(reader_user), D("7.00")),
            (house_account("platform:revenue"), D("3.00")),
        ],
    )
    # then
    assert wallet_account(client_user).balance == 0
    assert earnings_account(reader_user).balance == D("7.00")
    assert balance_of(house_account("platform:revenue")) == D("3.00")


@pytest.mark.django_db
def test_transaction_post_hold_below_zero_refused(client_user):
    # given
    top_up(client_user, "5.00", "topup:1")
    hold = hold_account("session", 42)
    transaction_post(
        kind="session_charge",
        idempotency_key="hold:42",
        postings=[(wallet_account(client_user), D("-5.00")), (hold, D("5.00"))],
    )
    # when / then
    with pytest.raises(InsufficientFunds):
        transaction_post(
            kind="session_settlement",
            idempotency_key="settle:42",
            postings=[(hold, D("-5.01")), (house_account("platform:revenue"), D("5.01"))],
        )
    assert hold_account("session", 42).balance == D("5.00")


@pytest.mark.django_db
def test_transaction_post_same_key_same_parameters_returns_first_transaction(client_user):
    # given
    first = top_up(client_user, "10.00", "topup:cs_1")
    # when
    again = transaction_post(
        kind="top_up",
        idempotency_key="topup:cs_1",
        postings=[(wallet_account(client_user), D("10.00")), (house_account("stripe:cash"), D("-10.00"))],
        user=client_user,
        memo="delivered by another event",
        stripe_event_id="evt_2",
    )
    # then
    assert again.pk == first.pk
    assert Transaction.objects.count() == 1
    assert wallet_account(client_user).balance == D("10.00")


@pytest.mark.django_db
def test_transaction_post_same_key_different_parameters_raises_conflict(client_user, other_client_user):
    # given
    top_up(client_user, "10.00", "topup:cs_1")
    # when / then
    with pytest.raises(IdempotencyConflict):
        top_up(client_user, "10.01", "topup:cs_1")
    with pytest.raises(IdempotencyConflict):
        top_up(other_client_user, "10.00", "topup:cs_1")
    assert Transaction.objects.count() == 1
    assert wallet_account(other_client_user).balance == 0


@pytest.mark.django_db
def test_transaction_post_frozen_wallet_refuses_debit_but_allows_chargeback_and_credit(client_user):
    # given
    top_up(client_user, "20.00", "topup:1")
    with transaction.atomic():
        account_freeze(account=wallet_account(client_user), reason="Dispute dp_1 opened")
    wallet, revenue, cash = wallet_account(client_user), house_account("platform:revenue"), house_account("stripe:cash")
    # when / then
    with pytest.raises(AccountFrozen):
        transaction_post(kind="gift", idempotency_key="gift:1", postings=[(wallet, D("-1.00")), (revenue, D("1.00"))])
    top_up(client_user, "1.00", "topup:2")
    transaction_post(kind="chargeback", idempotency_key="cb:1", postings=[(wallet, D("-20.00")), (cash, D("20.00"))])
    assert wallet_account(client_user).balance == D("1.00")
    # and once unfrozen, spending works again
    with transaction.atomic():
        account_unfreeze(account=wallet)
    transaction_post(kind="gift", idempotency_key="gift:2", postings=[(wallet, D("-1.00")), (revenue, D("1.00"))])
    assert wallet_account(client_user).balance == 0


@pytest.mark.django_db
def test_transaction_post_updates_callers_account_objects(client_user):
    # given
    wallet = wallet_account(client_user)
    # when
    transaction_post(
        kind="top_up", idempotency_key="k", postings=[(wallet, D("3.00")), (house_account("stripe:cash"), D("-3.00"))]
    )
    # then
    assert wallet.balance == D("3.00")


# --- accounts ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_account_getters_return_one_account_per_code(client_user):
    assert wallet_account(client_user).pk == wallet_account(client_user).pk
    assert wallet_account(client_user).code == f"wallet:{client_user.pk}"
    assert earnings_account(client_user).code == f"earnings:{client_user.pk}"
    assert hold_account("session", 7).code == "hold:session:7"
    assert hold_account("booking", 7).code == "hold:booking:7"
    assert house_account("platform:losses").kind == "platform_losses"
    with pytest.raises(ValueError):
        house_account("platform:bonus")
    with pytest.raises(ValueError):
        hold_account("livestream", 1)


# --- append-only, in the models and in PostgreSQL ------------------------------------------------------


@pytest.mark.django_db
def test_ledger_rows_refuse_update_and_delete_through_the_orm(client_user):
    # given
    txn = top_up(client_user, "10.00", "topup:1")
    posting = txn.postings.first()
    # when / then
    txn.memo = "changed"
    with pytest.raises(PermissionError):
        txn.save()
    with pytest.raises(PermissionError):
        posting.delete()
    with pytest.raises(PermissionError):
        Posting.objects.filter(transaction=txn).update(amount=D("1.00"))
    with pytest.raises(PermissionError):
        Transaction.objects.all().delete()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE wallet_posting SET amount = amount * 2",
        "DELETE FROM wallet_posting",
        "UPDATE wallet_transaction SET memo = 'x'",
        "DELETE FROM wallet_transaction",
    ],
)
def test_ledger_trigger_refuses_raw_update_and_delete(client_user, sql):
    # given
    top_up(client_user, "10.00", "topup:1")
    # when / then
    with pytest.raises(ProgrammingError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert Posting.objects.filter(amount=D("10.00")).count() == 1


def _raw_unbalanced_transaction(cursor, account_id: int) -> int:
    cursor.execute(
        "INSERT INTO wallet_transaction (kind, idempotency_key, params_hash, created_at, stripe_event_id,"
        " stripe_payment_intent_id, stripe_checkout_session_id, stripe_refund_id, stripe_dispute_id, memo)"
        " VALUES ('adjustment', 'raw', '', now(), '', '', '', '', '', '') RETURNING id"
    )
    txn_id = cursor.fetchone()[0]
    cursor.execute(
        "INSERT INTO wallet_posting (transaction_id, account_id, amount) VALUES (%s, %s, 5)", [txn_id, account_id]
    )
    return txn_id


@pytest.mark.django_db
def test_ledger_deferred_trigger_refuses_unbalanced_transaction_when_checked(client_user):
    # given: an unbalanced transaction written with raw SQL inside this (test) transaction
    wallet = wallet_account(client_user)
    # when / then: the deferred check fires when constraints are checked (as at COMMIT)
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic(), connection.cursor() as cursor:
        _raw_unbalanced_transaction(cursor, wallet.pk)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.mark.django_db(transaction=True)
def test_ledger_deferred_trigger_refuses_unbalanced_transaction_at_commit():
    # given
    user = UserFactory()
    wallet = wallet_account(user)
    # when / then: the raw inserts succeed, the COMMIT fails, nothing stays
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic(), connection.cursor() as cursor:
        _raw_unbalanced_transaction(cursor, wallet.pk)
    assert not Transaction.objects.filter(idempotency_key="raw").exists()
    assert Posting.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_ledger_deferred_trigger_refuses_transaction_without_postings_at_commit():
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        Transaction.objects.create(kind="adjustment", idempotency_key="empty", params_hash="")
    assert not Transaction.objects.exists()


@pytest.mark.django_db
def test_account_constraint_refuses_negative_wallet_balance(client_user):
    wallet = wallet_account(client_user)
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=wallet.pk).update(balance=D("-0.01"))
    revenue = house_account("platform:revenue")
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=revenue.pk).update(balance=D("1.00"))


# --- the reader split ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "rate", "expected"),
    [
        ("10.00", "0.70", ("7.00", "3.00")),
        ("0.01", "0.70", ("0.00", "0.01")),
        ("10.99", "0.70", ("7.69", "3.30")),
        ("1.43", "0.70", ("1.00", "0.43")),
        ("5.00", "1", ("5.00", "0.00")),
        ("5.00", "0", ("0.00", "5.00")),
        ("3.33", "0.75", ("2.49", "0.84")),
    ],
)
def test_split_reader_share_examples_floor_reader_share(amount, rate, expected):
    assert split_reader_share(D(amount), D(rate)) == (D(expected[0]), D(expected[1]))


@given(
    cents=st.integers(min_value=0, max_value=10**11 - 1),
    rate_bp=st.integers(min_value=0, max_value=10_000),
)
def test_split_reader_share_property_sums_exactly_and_floors(cents, rate_bp):
    # given
    amount = D(cents) / 100
    rate = D(rate_bp) / 10_000
    # when
    reader, platform = split_reader_share(amount, rate)
    # then
    assert reader + platform == amount
    assert reader == D(int(amount * rate * 100)) / 100  # floor for non-negative values
    assert reader >= 0 and platform >= 0
    assert reader.as_tuple().exponent == -2 and platform.as_tuple().exponent == -2


def test_split_reader_share_bad_input_refused():
    with pytest.raises(ValueError):
        split_reader_share(D("-1.00"))
    with pytest.raises(ValueError):
        split_reader_share(D("1.00"), D("1.5"))
    with pytest.raises(ValueError):
        split_reader_share(D("1.001"))


@pytest.mark.django_db
@pytest.mark.parametrize("sql", ["TRUNCATE wallet_posting", "TRUNCATE wallet_transaction CASCADE"])
def test_ledger_trigger_refuses_truncate(client_user, sql):
    # given a ledger with one transaction, on a connection that did not ask to wipe the ledger
    top_up(client_user, "10.00", "topup:1")
    # when / then
    with pytest.raises(ProgrammingError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # run the pending balance checks first
        cursor.execute("SET LOCAL soulseer.allow_truncate = off")
        cursor.execute(sql)
    assert Posting.objects.filter(amount=D("10.00")).count() == 1
