"""Racing real PostgreSQL connections on one hold: no overdraft, one settlement, a hold settled only at
exactly what was charged and left at exactly zero."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction

from apps.accounts.tests.factories import ReaderFactory, UserFactory
from apps.wallet.enums import TransactionKind
from apps.wallet.exceptions import HoldNotSettled, InsufficientFunds
from apps.wallet.hold_subjects import hold_subject_register, hold_subject_unregister
from apps.wallet.models import LedgerCheckRun, Transaction
from apps.wallet.selectors import balance_of
from apps.wallet.services.holds import hold_find, hold_fund, hold_settle
from apps.wallet.services.ledger import earnings_account, wallet_account
from tests.support.money import top_up

from .test_ledger_concurrency import run_in_threads

D = Decimal
SUBJECT = "test_order"
THREADS = 10

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def finished_test_orders():
    return get_user_model().objects.filter(is_active=False)


@pytest.fixture(autouse=True)
def test_subject():
    hold_subject_register(SUBJECT, finished=finished_test_orders)
    yield
    hold_subject_unregister(SUBJECT)


@transaction.atomic(durable=True)
def fund(payer, subject_id: int, amount: str, fact: str) -> Transaction:
    return hold_fund(
        subject_type=SUBJECT,
        subject_id=subject_id,
        payer=payer,
        amount=D(amount),
        kind=TransactionKind.SHOP_ORDER,
        fact=fact,
    )


@transaction.atomic(durable=True)
def settle(reader, subject_id: int, expected: str):
    return hold_settle(
        subject_type=SUBJECT,
        subject_id=subject_id,
        reader=reader,
        expected_amount=D(expected),
        kind=TransactionKind.SHOP_ORDER,
    )


def assert_ledger_check_clean() -> None:
    call_command("ledger_check")
    assert LedgerCheckRun.objects.latest("started_at").is_ok is True


def test_hold_fund_racing_payments_into_one_hold_never_overdraw_the_wallet():
    # given: 6.00 in the wallet, ten connections each paying 1.00 (its own fact) into the same hold, twice
    client = UserFactory()
    top_up(client, "6.00")

    def work(index: int) -> list[str]:
        outcomes = []
        for _ in range(2):  # the second delivery of the same fact replays
            try:
                fund(client, 1, "1.00", fact=f"part:{index}")
                outcomes.append("funded")
            except InsufficientFunds:
                outcomes.append("refused")
        return outcomes

    # when
    results = run_in_threads(THREADS, work)
    # then
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    funded = [outcomes for outcomes in results if outcomes[0] == "funded"]
    assert len(funded) == 6
    assert all(outcomes == ["funded", "funded"] for outcomes in funded)
    assert Transaction.objects.filter(subject_type=SUBJECT, subject_id=1).count() == 6
    assert balance_of(hold_find(SUBJECT, 1)) == hold_find(SUBJECT, 1).balance == D("6.00")
    assert wallet_account(client).balance == 0
    assert_ledger_check_clean()


def test_hold_settle_racing_settlements_of_one_hold_pay_out_once():
    # given
    client, reader = UserFactory(), ReaderFactory()
    top_up(client, "10.00")
    fund(client, 2, "10.00", fact="fund")

    # when: ten connections settle the same hold at the same instant
    results = run_in_threads(THREADS, lambda index: settle(reader, 2, "10.00").transaction.pk)
    # then
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    assert len(set(results)) == 1
    assert Transaction.objects.filter(kind=TransactionKind.SHOP_ORDER, subject_id=2).count() == 2  # fund, settle
    assert balance_of(hold_find(SUBJECT, 2)) == 0
    assert earnings_account(reader).balance == D("7.00")
    assert_ledger_check_clean()


def test_hold_settle_racing_payments_into_the_hold_settles_only_at_exactly_the_expected_amount():
    # given: a hold of 10.00, settled for 10.00 while other connections pay more into it
    client, reader = UserFactory(), ReaderFactory()
    top_up(client, "20.00")
    fund(client, 3, "10.00", fact="fund")

    def work(index: int) -> str:
        if index % 2:
            fund(client, 3, "1.00", fact=f"more:{index}")
            return "funded"
        try:
            settle(reader, 3, "10.00")
            return "settled"
        except HoldNotSettled:
            return "refused"

    # when
    results = run_in_threads(THREADS, work)
    # then: the settlement paid exactly 10.00 and left what came after it, or was refused and left it all
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    settlements = Transaction.objects.filter(idempotency_key=f"{SUBJECT}:3:settlement")
    funded = results.count("funded")
    held = balance_of(hold_find(SUBJECT, 3))
    if settlements.exists():
        assert held == funded * D("1.00")
        assert earnings_account(reader).balance == D("7.00")
    else:
        assert "settled" not in results
        assert held == D("10.00") + funded * D("1.00")
        assert earnings_account(reader).balance == 0
    assert_ledger_check_clean()
