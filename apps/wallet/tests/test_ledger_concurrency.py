"""Racing real PostgreSQL connections on one wallet: no overdraft, no lost update, one transaction per key."""

import threading
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.db import close_old_connections, connection

from apps.accounts.tests.factories import ReaderFactory, UserFactory
from apps.wallet.exceptions import InsufficientFunds
from apps.wallet.models import LedgerCheckRun, Transaction
from apps.wallet.selectors import balance_of
from apps.wallet.services.ledger import (
    earnings_account,
    house_account,
    split_reader_share,
    transaction_post,
    wallet_account,
)
from tests.support.money import top_up

D = Decimal
THREADS = 10


def run_in_threads(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in ``count`` threads released at the same instant; each uses its own connection."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def target(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = work(index)
        except BaseException as error:  # the test inspects it
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    close_old_connections()
    return results


def gift(user, reader, amount: Decimal, key: str) -> Transaction:
    reader_amount, platform_amount = split_reader_share(amount)
    return transaction_post(
        kind="gift",
        idempotency_key=key,
        postings=[
            (wallet_account(user), -amount),
            (earnings_account(reader), reader_amount),
            (house_account("platform:revenue"), platform_amount),
        ],
        user=user,
    )


def assert_ledger_check_clean() -> None:
    call_command("ledger_check")  # raises CommandError (exit 1) on any violation
    assert LedgerCheckRun.objects.latest("started_at").is_ok is True


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_transaction_post_racing_debits_and_credits_keep_exact_balance_without_overdraft():
    # given: 30.00 in the wallet; debit threads try to spend far more than will ever be there
    client, reader = UserFactory(), ReaderFactory()
    top_up(client, D("30.00"), "seed")
    rounds = 15

    def work(index: int) -> Counter:
        outcome: Counter = Counter()
        for n in range(rounds):
            if index % 2:
                top_up(client, D("0.50"), f"credit:{index}:{n}")
                outcome["credited"] += 1
            else:
                try:
                    gift(client, reader, D("1.50"), f"debit:{index}:{n}")
                    outcome["debited"] += 1
                except InsufficientFunds:
                    outcome["refused"] += 1
        return outcome

    # when
    results = run_in_threads(THREADS, work)

    # then
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    total = sum(results, Counter())
    assert total["credited"] == (THREADS // 2) * rounds
    assert total["refused"] > 0  # the race really hit an empty wallet
    expected = D("30.00") + total["credited"] * D("0.50") - total["debited"] * D("1.50")
    wallet = wallet_account(client)
    assert wallet.balance == expected  # no lost update
    assert balance_of(wallet) == expected
    assert expected >= 0
    assert Transaction.objects.filter(kind="gift").count() == total["debited"]
    reader_share, _ = split_reader_share(D("1.50"))
    assert earnings_account(reader).balance == total["debited"] * reader_share
    assert_ledger_check_clean()


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_transaction_post_same_new_key_racing_posts_once():
    # given
    client, reader = UserFactory(), ReaderFactory()
    top_up(client, D("100.00"), "seed")

    # when: every thread delivers the same top-up and the same gift at the same instant
    def work(index: int) -> tuple[int, int]:
        credit = top_up(client, D("20.00"), "topup:cs_same")
        spend = gift(client, reader, D("7.00"), "gift:same")
        return credit.pk, spend.pk

    results = run_in_threads(THREADS, work)

    # then
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    assert len(set(results)) == 1
    assert Transaction.objects.filter(idempotency_key="topup:cs_same").count() == 1
    assert wallet_account(client).balance == D("113.00")
    assert_ledger_check_clean()


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_transaction_post_same_key_on_house_accounts_only_posts_once():
    # given: no lockable account, so only the unique index can decide the race
    revenue, losses = house_account("platform:revenue"), house_account("platform:losses")

    # when
    def work(index: int) -> int:
        return transaction_post(
            kind="chargeback_reversal",
            idempotency_key="house:same",
            postings=[(revenue, D("-4.00")), (losses, D("4.00"))],
        ).pk

    results = run_in_threads(THREADS, work)

    # then
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    assert len(set(results)) == 1
    assert balance_of(losses) == D("4.00")
    assert_ledger_check_clean()


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_transaction_post_many_wallets_crossing_house_accounts_do_not_deadlock():
    # given: every thread pays a different reader from a different wallet, all through platform:revenue
    pairs = [(UserFactory(), ReaderFactory()) for _ in range(THREADS)]
    for index, (client, _) in enumerate(pairs):
        top_up(client, D("10.00"), f"seed:{index}")

    # when
    def work(index: int) -> int:
        client, reader = pairs[index]
        other_reader = pairs[(index + 1) % THREADS][1]
        for n in range(10):
            gift(client, reader if n % 2 else other_reader, D("1.00"), f"gift:{index}:{n}")
        return 10

    results = run_in_threads(THREADS, work)

    # then
    assert results == [10] * THREADS
    assert all(wallet_account(client).balance == 0 for client, _ in pairs)
    assert balance_of(house_account("platform:revenue")) == THREADS * 10 * D("0.30")
    assert_ledger_check_clean()
