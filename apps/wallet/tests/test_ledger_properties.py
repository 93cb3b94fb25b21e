"""Property: any sequence of top-ups, charges, readings, refunds, adjustments and disputes keeps every
ledger invariant, and the ledger check stays clean.

Refunds and chargebacks are posted here with the postings SPEC §3 prescribes (a refund never takes more
than the wallet holds; a chargeback takes what the wallet holds, books the rest to platform:losses and
freezes the wallet; a won dispute reverses it), through the same posting service the Stripe flows use.
"""

import itertools
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.accounts.tests.factories import AdminFactory, ReaderFactory, UserFactory
from apps.wallet.exceptions import AccountFrozen, InsufficientFunds
from apps.wallet.models import Posting
from apps.wallet.selectors import balance_of
from apps.wallet.services.adjustments import adjustment_create
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
from apps.wallet.services.ledger_check import ledger_check_collect

D = Decimal
CLIENTS = 3
_keys = itertools.count()
_holds = itertools.count(1)

OPERATIONS = ["top_up", "gift", "reading", "refund", "adjust", "chargeback", "chargeback_reversal"]
operation = st.tuples(
    st.sampled_from(OPERATIONS),
    st.integers(min_value=0, max_value=CLIENTS - 1),  # which client
    st.integers(min_value=1, max_value=5_000),  # cents
    st.integers(min_value=0, max_value=100),  # a percentage where an operation needs one
)


def key(prefix: str) -> str:
    return f"prop:{prefix}:{next(_keys)}"


class Ledger:
    """The expected state, kept next to the real one."""

    def __init__(self) -> None:
        self.clients = [UserFactory() for _ in range(CLIENTS)]
        self.reader = ReaderFactory()
        self.admin = AdminFactory()
        self.expected = [D("0.00")] * CLIENTS
        self.frozen = [False] * CLIENTS
        self.disputes: list[list[tuple[D, D, D]]] = [[] for _ in range(CLIENTS)]  # (amount, taken, lost)
        self.cash, self.revenue, self.losses = (
            house_account("stripe:cash"),
            house_account("platform:revenue"),
            house_account("platform:losses"),
        )

    def wallet(self, i: int):
        return wallet_account(self.clients[i])

    def spend(self, i: int, amount: D, post) -> None:
        """Run a debit of ``amount`` and check it was refused exactly when it had to be."""
        if self.frozen[i]:
            with pytest.raises(AccountFrozen):
                post()
        elif amount > self.expected[i]:
            with pytest.raises(InsufficientFunds):
                post()
        else:
            post()
            self.expected[i] -= amount

    def apply(self, name: str, i: int, amount: D, percent: int) -> None:
        user, wallet = self.clients[i], self.wallet(i)
        if name == "top_up":
            transaction_post(
                kind="top_up",
                idempotency_key=key("topup"),
                postings=[(self.cash, -amount), (wallet, amount)],
                user=user,
            )
            self.expected[i] += amount
        elif name == "gift":
            reader_amount, platform_amount = split_reader_share(amount)
            legs = [(wallet, -amount)]
            legs += [(earnings_account(self.reader), reader_amount)] if reader_amount else []
            legs += [(self.revenue, platform_amount)] if platform_amount else []
            self.spend(i, amount, lambda: transaction_post(kind="gift", idempotency_key=key("gift"), postings=legs))
        elif name == "reading":
            self.spend(i, amount, lambda: self.reading(i, amount, percent))
        elif name == "refund":
            # A refund to the card: never more than the wallet still holds (a frozen wallet can be refunded).
            refund = min(amount, self.expected[i])
            if refund == 0:
                return
            transaction_post(
                kind="refund",
                idempotency_key=key("refund"),
                postings=[(wallet, -refund), (self.cash, refund)],
                user=user,
            )
            self.expected[i] -= refund
        elif name == "adjust":
            signed = amount if percent % 2 else -amount
            if signed < 0 and self.frozen[i]:
                with pytest.raises(AccountFrozen):
                    self.adjust(user, signed)
            elif signed < 0 and signed + self.expected[i] < 0:
                with pytest.raises(InsufficientFunds):
                    self.adjust(user, signed)
            else:
                self.adjust(user, signed)
                self.expected[i] += signed
        elif name == "chargeback":
            self.chargeback(i, amount)
        elif name == "chargeback_reversal" and self.disputes[i]:
            self.chargeback_reversal(i)

    def adjust(self, user, signed: D) -> None:
        adjustment_create(
            actor=self.admin, user=user, amount=signed, reason="property test", idempotency_key=key("adj")
        )

    def reading(self, i: int, amount: D, percent: int) -> None:
        """Hold ``amount`` for a reading, then settle: the reader is paid for the minutes used, the rest returns."""
        hold = hold_account("session", next(_holds))
        with transaction.atomic(durable=True):
            ledger_post(
                kind="session_charge", idempotency_key=key("hold"), postings=[(self.wallet(i), -amount), (hold, amount)]
            )
            used = (amount * percent / 100).quantize(D("0.01"))
            reader_amount, platform_amount = split_reader_share(used)
            legs = [(hold, -amount)]
            legs += [(self.wallet(i), amount - used)] if amount - used else []
            legs += [(earnings_account(self.reader), reader_amount)] if reader_amount else []
            legs += [(self.revenue, platform_amount)] if platform_amount else []
            ledger_post(kind="session_settlement", idempotency_key=key("settle"), postings=legs)
        assert hold.balance == 0
        # the wallet only lost what was used
        self.expected[i] += amount - used

    def chargeback(self, i: int, amount: D) -> None:
        wallet = self.wallet(i)
        taken = min(amount, self.expected[i])
        lost = amount - taken
        legs = [(self.cash, amount)]
        legs += [(wallet, -taken)] if taken else []
        legs += [(self.losses, -lost)] if lost else []
        with transaction.atomic(durable=True):
            account_freeze(account=wallet, reason="dispute")
            ledger_post(kind="chargeback", idempotency_key=key("cb"), postings=legs, user=self.clients[i])
        self.expected[i] -= taken
        self.frozen[i] = True
        self.disputes[i].append((amount, taken, lost))

    def chargeback_reversal(self, i: int) -> None:
        amount, taken, lost = self.disputes[i].pop()
        wallet = self.wallet(i)
        legs = [(self.cash, -amount)]
        legs += [(wallet, taken)] if taken else []
        legs += [(self.losses, lost)] if lost else []
        with transaction.atomic(durable=True):
            ledger_post(kind="chargeback_reversal", idempotency_key=key("cbr"), postings=legs, user=self.clients[i])
            if not self.disputes[i]:
                account_unfreeze(account=wallet)
        self.expected[i] += taken
        self.frozen[i] = bool(self.disputes[i])

    def assert_invariants(self) -> None:
        for i in range(CLIENTS):
            wallet = self.wallet(i)
            assert wallet.balance == self.expected[i]
            assert balance_of(wallet) == self.expected[i]
            assert wallet.balance >= 0
            assert wallet.is_frozen == self.frozen[i]


@pytest.mark.django_db
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(operations=st.lists(operation, min_size=1, max_size=20))
def test_ledger_any_sequence_of_money_operations_keeps_every_invariant(operations):
    # given
    ledger = Ledger()
    # when
    for name, i, cents, percent in operations:
        ledger.apply(name, i, D(cents) / 100, percent)
        # then, after every step
        ledger.assert_invariants()
    # and at the end: the whole ledger sums to zero and the check is clean
    assert sum(Posting.objects.values_list("amount", flat=True), D(0)) == 0
    report = ledger_check_collect()
    assert report["ok"], report["violations"]
    assert report["open_holds"] == []


@pytest.mark.django_db
def test_ledger_check_command_clean_after_property_run(capsys):
    # given: one long fixed sequence through every operation
    ledger = Ledger()
    for step, name in enumerate(OPERATIONS * 3):
        ledger.apply(name, step % CLIENTS, D("12.34") + step, step * 7 % 101)
        ledger.assert_invariants()
    # when
    call_command("ledger_check")
    # then
    assert "Ledger check: OK" in capsys.readouterr().out
