"""The hold helpers (fund, release, settle), the reader's rate and share, and the hold subject registry."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from apps.accounts.tests.factories import ReaderFactory, UserFactory
from apps.wallet.enums import AccountKind, TransactionKind
from apps.wallet.exceptions import HoldNotSettled, IdempotencyConflict, InsufficientFunds
from apps.wallet.hold_subjects import hold_subject_register, hold_subject_unregister
from apps.wallet.models import Account, LedgerCheckRun, Transaction
from apps.wallet.selectors import balance_of
from apps.wallet.services.holds import hold_find, hold_fund, hold_release, hold_settle
from apps.wallet.services.ledger import earnings_account, wallet_account
from apps.wallet.services.shares import reader_rate, reader_share_postings
from tests.support.money import top_up

D = Decimal
SUBJECT = "test_order"

pytestmark = pytest.mark.django_db


def finished_test_orders():
    """Subjects of the test domain: users stand in for orders; an inactive one is a finished order."""
    return get_user_model().objects.filter(is_active=False)


@pytest.fixture(autouse=True)
def test_subject():
    hold_subject_register(SUBJECT, finished=finished_test_orders)
    yield SUBJECT
    hold_subject_unregister(SUBJECT)


def fund(payer, subject_id: int, amount: str, fact: str = "fund"):
    with transaction.atomic():
        return hold_fund(
            subject_type=SUBJECT,
            subject_id=subject_id,
            payer=payer,
            amount=D(amount),
            kind=TransactionKind.SHOP_ORDER,
            fact=fact,
        )


def settle(reader, subject_id: int, expected: str, rate: Decimal | None = None):
    with transaction.atomic():
        return hold_settle(
            subject_type=SUBJECT,
            subject_id=subject_id,
            reader=reader,
            expected_amount=D(expected),
            rate=rate,
            kind=TransactionKind.SHOP_ORDER,
        )


def ledger_rows() -> tuple[int, int]:
    return Transaction.objects.count(), Account.objects.count()


# --- hold_fund --------------------------------------------------------------------------------------------


def test_hold_fund_new_subject_moves_wallet_money_into_its_hold_tagged_with_the_subject():
    # given
    client = UserFactory()
    top_up(client, "10.00")
    # when
    txn = fund(client, 7, "4.00")
    # then
    hold = hold_find(SUBJECT, 7)
    assert hold is not None and hold.code == f"hold:{SUBJECT}:7" and hold.kind == AccountKind.HOLD
    assert (hold.subject_type, hold.subject_id) == (SUBJECT, 7)
    assert (txn.subject_type, txn.subject_id, txn.idempotency_key) == (SUBJECT, 7, f"{SUBJECT}:7:fund")
    assert balance_of(hold) == D("4.00") and wallet_account(client).balance == D("6.00")
    call_command("ledger_check")


def test_hold_fund_same_fact_twice_returns_the_first_transaction():
    # given
    client = UserFactory()
    top_up(client, "10.00")
    first = fund(client, 8, "4.00")
    # when
    again = fund(client, 8, "4.00")
    # then
    assert again.pk == first.pk
    assert balance_of(hold_find(SUBJECT, 8)) == D("4.00") and wallet_account(client).balance == D("6.00")


def test_hold_fund_same_fact_other_amount_refused_nothing_written():
    # given
    client = UserFactory()
    top_up(client, "10.00")
    fund(client, 9, "4.00")
    before = ledger_rows()
    # when / then
    with pytest.raises(IdempotencyConflict):
        fund(client, 9, "5.00")
    assert ledger_rows() == before


def test_hold_fund_wallet_short_refused_nothing_written():
    # given
    client = UserFactory()
    top_up(client, "3.00")
    hold_account_count = Account.objects.filter(subject_type=SUBJECT).count()
    transactions = Transaction.objects.count()
    # when / then
    with pytest.raises(InsufficientFunds):
        fund(client, 10, "4.00")
    assert Transaction.objects.count() == transactions
    assert wallet_account(client).balance == D("3.00")
    assert Account.objects.filter(subject_type=SUBJECT).count() == hold_account_count


def test_hold_fund_unknown_subject_type_refused_nothing_written():
    # given
    client = UserFactory()
    top_up(client, "10.00")
    before = ledger_rows()
    # when / then
    with pytest.raises(ValueError, match="Unknown hold subject"), transaction.atomic():
        hold_fund(subject_type="livestream", subject_id=1, payer=client, amount=D("1.00"), kind=TransactionKind.GIFT)
    assert ledger_rows() == before


# --- hold_release -----------------------------------------------------------------------------------------


def test_hold_release_part_then_the_rest_back_to_the_payer():
    # given
    client = UserFactory()
    top_up(client, "10.00")
    fund(client, 11, "6.00")
    # when
    with transaction.atomic():
        part = hold_release(
            subject_type=SUBJECT,
            subject_id=11,
            payer=client,
            amount=D("2.50"),
            kind=TransactionKind.BOOKING_REFUND,
            fact="release:part",
        )
        rest = hold_release(subject_type=SUBJECT, subject_id=11, payer=client, kind=TransactionKind.BOOKING_REFUND)
    # then
    assert part is not None and rest is not None
    assert {p.account.code: p.amount for p in rest.postings.select_related("account")} == {
        f"hold:{SUBJECT}:11": D("-3.50"),
        f"wallet:{client.pk}": D("3.50"),
    }
    assert (rest.subject_type, rest.subject_id) == (SUBJECT, 11)
    assert balance_of(hold_find(SUBJECT, 11)) == 0 and wallet_account(client).balance == D("10.00")
    call_command("ledger_check")


def test_hold_release_whole_replayed_returns_the_first_transaction():
    # given
    client = UserFactory()
    top_up(client, "10.00")
    fund(client, 12, "6.00")
    with transaction.atomic():
        first = hold_release(subject_type=SUBJECT, subject_id=12, payer=client, kind=TransactionKind.BOOKING_REFUND)
    # when
    with transaction.atomic():
        again = hold_release(subject_type=SUBJECT, subject_id=12, payer=client, kind=TransactionKind.BOOKING_REFUND)
    # then
    assert first is not None and again is not None and again.pk == first.pk
    assert wallet_account(client).balance == D("10.00")


def test_hold_release_more_than_held_refused_nothing_written():
    # given
    client = UserFactory()
    top_up(client, "10.00")
    fund(client, 13, "2.00")
    before = ledger_rows()
    # when / then
    with pytest.raises(InsufficientFunds), transaction.atomic():
        hold_release(
            subject_type=SUBJECT, subject_id=13, payer=client, amount=D("2.01"), kind=TransactionKind.BOOKING_REFUND
        )
    assert ledger_rows() == before and balance_of(hold_find(SUBJECT, 13)) == D("2.00")


def test_hold_release_subject_never_funded_returns_none_creates_nothing():
    client = UserFactory()
    before = ledger_rows()
    with transaction.atomic():
        released = hold_release(subject_type=SUBJECT, subject_id=14, payer=client, kind=TransactionKind.BOOKING_REFUND)
    assert released is None and ledger_rows() == before


# --- hold_settle ------------------------------------------------------------------------------------------


def test_hold_settle_expected_amount_pays_reader_share_and_platform_and_leaves_exactly_zero():
    # given
    client, reader = UserFactory(), ReaderFactory()
    top_up(client, "20.00")
    fund(client, 21, "3.33", fact="part:1")
    fund(client, 21, "6.67", fact="part:2")
    # when
    settled = settle(reader, 21, "10.00")
    # then: floor(10.00 × 0.70) = 7.00 to the reader, 3.00 to the platform
    assert (settled.amount, settled.reader_amount, settled.platform_amount) == (D("10.00"), D("7.00"), D("3.00"))
    txn = settled.transaction
    assert txn is not None and txn.idempotency_key == f"{SUBJECT}:21:settlement"
    assert (txn.subject_type, txn.subject_id) == (SUBJECT, 21)
    assert balance_of(hold_find(SUBJECT, 21)) == 0
    assert earnings_account(reader).balance == D("7.00")
    call_command("ledger_check")


@pytest.mark.parametrize(
    ("amount", "rate", "reader_amount", "platform_amount"),
    [
        ("0.01", "0.70", "0.00", "0.01"),
        ("0.99", "0.70", "0.69", "0.30"),
        ("3.33", "0.70", "2.33", "1.00"),
        ("9.99", "0.65", "6.49", "3.50"),
        ("1.00", "1", "1.00", "0.00"),
        ("7.77", "0.3333", "2.58", "5.19"),
    ],
)
def test_hold_settle_rounding_floors_the_reader_and_sums_exactly(amount, rate, reader_amount, platform_amount):
    # given
    client, reader = UserFactory(), ReaderFactory()
    top_up(client, "20.00")
    fund(client, 22, amount)
    # when
    settled = settle(reader, 22, amount, rate=D(rate))
    # then
    assert (settled.reader_amount, settled.platform_amount) == (D(reader_amount), D(platform_amount))
    legs = {p.account.code: p.amount for p in settled.transaction.postings.select_related("account")}
    assert sum(legs.values()) == 0 and legs[f"hold:{SUBJECT}:22"] == -D(amount)
    assert 0 not in legs.values()
    assert balance_of(hold_find(SUBJECT, 22)) == 0


@pytest.mark.parametrize("expected", ["9.99", "10.01", "0.00"])
def test_hold_settle_wrong_expected_amount_refused_nothing_written(expected):
    # given
    client, reader = UserFactory(), ReaderFactory()
    top_up(client, "20.00")
    fund(client, 23, "10.00")
    before = ledger_rows()
    # when / then
    with pytest.raises(HoldNotSettled, match=r"holds 10\.00"):
        settle(reader, 23, expected)
    assert ledger_rows() == before
    assert balance_of(hold_find(SUBJECT, 23)) == D("10.00") and earnings_account(reader).balance == 0


def test_hold_settle_replayed_returns_the_first_settlement():
    # given
    client, reader = UserFactory(), ReaderFactory()
    top_up(client, "20.00")
    fund(client, 24, "5.00")
    first = settle(reader, 24, "5.00")
    # when
    again = settle(reader, 24, "5.00")
    # then
    assert again.transaction.pk == first.transaction.pk
    assert earnings_account(reader).balance == D("3.50")


def test_hold_settle_nothing_charged_and_no_hold_writes_nothing():
    reader = ReaderFactory()
    before = ledger_rows()
    settled = settle(reader, 25, "0.00")
    assert settled.transaction is None and ledger_rows() == before


# --- reader rate and share --------------------------------------------------------------------------------


def test_reader_rate_default_read_from_settings(settings):
    reader = ReaderFactory()
    assert reader_rate(reader) == D("0.70")
    settings.READER_DEFAULT_RATE = "0.65"
    assert reader_rate(reader) == D("0.65")


def test_reader_share_postings_cent_payment_drops_the_zero_reader_leg():
    # given
    client, reader = UserFactory(), ReaderFactory()
    # when
    shares = reader_share_postings(amount=D("0.01"), reader=reader, source_account=wallet_account(client))
    # then
    assert [(account.code, amount) for account, amount in shares.postings] == [
        (f"wallet:{client.pk}", D("-0.01")),
        ("platform:revenue", D("0.01")),
    ]
    assert (shares.reader_amount, shares.platform_amount) == (D("0.00"), D("0.01"))


def test_reader_share_postings_every_cent_up_to_ten_dollars_sums_exactly():
    client, reader = UserFactory(), ReaderFactory()
    source = wallet_account(client)
    for cents in range(1, 1001):
        amount = D(cents) / 100
        shares = reader_share_postings(amount=amount, reader=reader, source_account=source)
        assert sum(value for _, value in shares.postings) == 0
        assert shares.reader_amount + shares.platform_amount == amount
        assert shares.reader_amount <= amount * D("0.70") < shares.reader_amount + D("0.01")


# --- the registry and the finished-subject check ------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "Order", "order-line", "9order", "x" * 32, None])
def test_hold_subject_register_malformed_type_refused_at_start_up(name):
    with pytest.raises(ImproperlyConfigured):
        hold_subject_register(name, finished=finished_test_orders)


def test_hold_subject_register_same_type_twice_refused_at_start_up():
    with pytest.raises(ImproperlyConfigured, match="registered twice"):
        hold_subject_register(SUBJECT, finished=lambda: get_user_model().objects.none())


def test_ledger_check_finished_subject_with_money_left_reported():
    # given: two subjects funded; one finishes with its hold emptied, the other finishes with money left
    client, reader = UserFactory(), ReaderFactory()
    settled_subject, forgotten_subject = UserFactory(), UserFactory()
    top_up(client, "20.00")
    fund(client, settled_subject.pk, "5.00")
    fund(client, forgotten_subject.pk, "3.00")
    settle(reader, settled_subject.pk, "5.00")
    get_user_model().objects.filter(pk__in=[settled_subject.pk, forgotten_subject.pk]).update(is_active=False)
    # when / then
    with pytest.raises(CommandError):
        call_command("ledger_check")
    report = LedgerCheckRun.objects.latest("started_at").report
    assert report["violations"] == [
        {
            "check": "finished_subject_holds_nothing",
            "subject_type": SUBJECT,
            "subject_id": forgotten_subject.pk,
            "code": f"hold:{SUBJECT}:{forgotten_subject.pk}",
            "held": "3.00",
        }
    ]


def test_ledger_check_open_subject_with_money_held_is_clean():
    # given a funded subject that is not finished
    client = UserFactory()
    top_up(client, "20.00")
    subject = UserFactory()
    fund(client, subject.pk, "5.00")
    # when / then
    call_command("ledger_check")
    assert LedgerCheckRun.objects.latest("started_at").report["open_holds"][0]["code"] == f"hold:{SUBJECT}:{subject.pk}"


def test_ledger_check_finished_subject_listing_that_fails_is_reported_not_crashing():
    # given a subject whose listing of finished subjects cannot run
    def broken():
        return get_user_model().objects.filter(no_such_field=True)

    hold_subject_unregister(SUBJECT)
    hold_subject_register(SUBJECT, finished=broken)
    # when / then
    with pytest.raises(CommandError):
        call_command("ledger_check")
    [violation] = LedgerCheckRun.objects.latest("started_at").report["violations"]
    assert violation["check"] == "finished_subject_holds_nothing" and "could not run" in violation["error"]
