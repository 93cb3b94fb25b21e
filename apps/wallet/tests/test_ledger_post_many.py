"""ledger_post_many: the set-based twin of ledger_post keeps every ledger rule for each entry."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction

from apps.accounts.tests.factories import UserFactory
from apps.wallet.enums import TransactionKind
from apps.wallet.exceptions import IdempotencyConflict
from apps.wallet.models import Account, Posting, Transaction
from apps.wallet.services.ledger import (
    BatchEntry,
    hold_account,
    house_account,
    ledger_post,
    ledger_post_many,
    transaction_post,
    wallet_account,
)

pytestmark = pytest.mark.django_db


def _funded_wallet(amount: str) -> tuple:
    user = UserFactory()
    wallet = wallet_account(user)
    transaction_post(
        kind=TransactionKind.TOP_UP,
        idempotency_key=f"fund:{user.pk}",
        postings=[(wallet, Decimal(amount)), (house_account("stripe:cash"), -Decimal(amount))],
        user=user,
    )
    return user, wallet


def _charge(user, wallet, hold, amount, key):
    return BatchEntry(
        idempotency_key=key, postings=[(wallet.pk, -Decimal(amount)), (hold.pk, Decimal(amount))], user_id=user.pk
    )


def test_ledger_post_many_posts_each_entry_and_updates_cached_balances():
    # given
    users = [_funded_wallet("5.00") for _ in range(3)]
    holds = [hold_account("session", 9000 + n) for n in range(3)]
    entries = [_charge(u, w, h, "1.50", f"many:{n}") for n, ((u, w), h) in enumerate(zip(users, holds, strict=True))]
    # when
    with transaction.atomic():
        result = ledger_post_many(kind=TransactionKind.SESSION_CHARGE, entries=entries)
    # then
    assert set(result.posted) == {"many:0", "many:1", "many:2"} and not result.refused
    for (_, wallet), hold in zip(users, holds, strict=True):
        assert Account.objects.get(pk=wallet.pk).balance == Decimal("3.50")
        assert Account.objects.get(pk=hold.pk).balance == Decimal("1.50")
    txn = Transaction.objects.get(idempotency_key="many:1")
    assert txn.kind == TransactionKind.SESSION_CHARGE and txn.user_id == users[1][0].pk
    assert sum(Posting.objects.filter(transaction=txn).values_list("amount", flat=True)) == 0
    call_command("ledger_check")


def test_ledger_post_many_same_parameters_as_ledger_post_replay_each_other():
    # given: one key posted by ledger_post
    user, wallet = _funded_wallet("5.00")
    hold = hold_account("session", 9100)
    with transaction.atomic():
        first = ledger_post(
            kind=TransactionKind.SESSION_CHARGE,
            idempotency_key="both:1",
            postings=[(wallet, Decimal("-1.00")), (hold, Decimal("1.00"))],
            user=user,
        )
    # when: the batch posts the same key with the same parameters
    with transaction.atomic():
        result = ledger_post_many(
            kind=TransactionKind.SESSION_CHARGE, entries=[_charge(user, wallet, hold, "1.00", "both:1")]
        )
    # then: the first transaction, nothing written twice
    assert result.posted == {"both:1": first.pk} and result.replayed == {"both:1"}
    assert Account.objects.get(pk=wallet.pk).balance == Decimal("4.00")
    # ... and the reverse: ledger_post replays a batch-posted key
    with transaction.atomic():
        ledger_post_many(kind=TransactionKind.SESSION_CHARGE, entries=[_charge(user, wallet, hold, "1.00", "both:2")])
    with transaction.atomic():
        again = ledger_post(
            kind=TransactionKind.SESSION_CHARGE,
            idempotency_key="both:2",
            postings=[(wallet, Decimal("-1.00")), (hold, Decimal("1.00"))],
            user=user,
        )
    assert again.idempotency_key == "both:2"
    assert Account.objects.get(pk=wallet.pk).balance == Decimal("3.00")
    call_command("ledger_check")


def test_ledger_post_many_key_reused_with_other_amount_raises_and_writes_nothing():
    # given
    user, wallet = _funded_wallet("5.00")
    hold = hold_account("session", 9200)
    with transaction.atomic():
        ledger_post_many(kind=TransactionKind.SESSION_CHARGE, entries=[_charge(user, wallet, hold, "1.00", "k:1")])
    other_user, other_wallet = _funded_wallet("5.00")
    other_hold = hold_account("session", 9201)
    # when / then
    with pytest.raises(IdempotencyConflict), transaction.atomic():
        ledger_post_many(
            kind=TransactionKind.SESSION_CHARGE,
            entries=[
                _charge(other_user, other_wallet, other_hold, "1.00", "k:2"),
                _charge(user, wallet, hold, "2.00", "k:1"),
            ],
        )
    assert not Transaction.objects.filter(idempotency_key="k:2").exists()
    assert Account.objects.get(pk=other_wallet.pk).balance == Decimal("5.00")


def test_ledger_post_many_unpayable_entries_refused_others_posted_in_order():
    # given: a wallet with 2.50 and three charges of 1.00 on it; a frozen wallet
    user, wallet = _funded_wallet("2.50")
    frozen_user, frozen_wallet = _funded_wallet("5.00")
    Account.objects.filter(pk=frozen_wallet.pk).update(is_frozen=True)
    holds = [hold_account("session", 9300 + n) for n in range(4)]
    entries = [_charge(user, wallet, holds[n], "1.00", f"order:{n}") for n in range(3)]
    entries.append(_charge(frozen_user, frozen_wallet, holds[3], "1.00", "order:frozen"))
    # when
    with transaction.atomic():
        result = ledger_post_many(kind=TransactionKind.SESSION_CHARGE, entries=entries)
    # then
    assert set(result.posted) == {"order:0", "order:1"}
    assert result.refused == {"order:2": "insufficient_funds", "order:frozen": "frozen"}
    assert Account.objects.get(pk=wallet.pk).balance == Decimal("0.50")
    assert Account.objects.get(pk=frozen_wallet.pk).balance == Decimal("5.00")
    call_command("ledger_check")


@pytest.mark.parametrize(
    "postings",
    [
        [(None, Decimal("-1.00")), (None, Decimal("0.50"))],  # unbalanced
        [(None, Decimal("-1.001")), (None, Decimal("1.001"))],  # finer than a cent
        [(None, Decimal("-1.00"))],  # one leg
    ],
)
def test_ledger_post_many_malformed_entry_raises_and_writes_nothing(postings):
    # given
    user, wallet = _funded_wallet("5.00")
    hold = hold_account("session", 9400)
    ids = [wallet.pk, hold.pk]
    entry = BatchEntry(
        idempotency_key="bad:1", postings=[(ids[n], amount) for n, (_, amount) in enumerate(postings)], user_id=user.pk
    )
    # when / then
    with pytest.raises(Exception), transaction.atomic():  # noqa: B017 (ValueError or UnbalancedTransaction)
        ledger_post_many(kind=TransactionKind.SESSION_CHARGE, entries=[entry])
    assert not Transaction.objects.filter(idempotency_key="bad:1").exists()


@pytest.mark.django_db(transaction=True)
def test_ledger_post_many_outside_a_transaction_refused():
    # given
    user, wallet = _funded_wallet("5.00")
    hold = hold_account("session", 9500)
    # when / then
    with pytest.raises(RuntimeError):
        ledger_post_many(kind=TransactionKind.SESSION_CHARGE, entries=[_charge(user, wallet, hold, "1.00", "out:1")])


@pytest.mark.parametrize(
    ("kind", "user_id", "legs"),
    [
        ("session_charge", 7, [("wallet:7", "-1.50"), ("hold:session:3", "1.50")]),
        ("gift", None, [("wallet:1", "-10.00"), ("earnings:2", "7.00"), ("platform:revenue", "3.00")]),
        ("adjustment", 12, [("wallet:12", "0.01"), ('we"ird \\ code', "-0.01")]),
    ],
)
def test_params_hash_many_is_the_ledger_post_hash(kind, user_id, legs):
    # given
    from types import SimpleNamespace

    from apps.wallet.services.ledger import _params_hash, _params_hash_many

    accounts = [(SimpleNamespace(code=code), Decimal(amount)) for code, amount in legs]
    # when / then: a batch and a single posting of the same money have the same hash
    assert _params_hash_many(kind, user_id, accounts) == _params_hash(kind, SimpleNamespace(pk=user_id), accounts)
