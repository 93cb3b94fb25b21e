"""Every money path of the wallet raced on real PostgreSQL connections (one thread each, released by a barrier):
admin adjustments, refund requests to the card and their settlement, and a chargeback arriving while the client
spends. Each test ends with ``ledger_check`` clean."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client

from apps.accounts.tests.factories import AdminFactory, UserFactory
from apps.core.models import AuditLog
from apps.wallet.enums import TransactionKind
from apps.wallet.exceptions import AccountFrozen, InsufficientFunds
from apps.wallet.models import LedgerCheckRun, Refund, StripeEvent, Transaction
from apps.wallet.selectors import balance_of, wallet_balance
from apps.wallet.services.adjustments import adjustment_create
from apps.wallet.services.ledger import house_account, transaction_post, wallet_account
from apps.wallet.services.refunds import RefundRejected, refund_apply_stripe_state, refund_request, refund_submit
from apps.wallet.services.webhooks import stripe_event_process, stripe_events_process_received

from .stripe_flows import deliver, topup_checkout, topup_paid
from .stripe_server import example
from .test_ledger_concurrency import run_in_threads

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]
D = Decimal
THREADS = 8


def assert_ledger_check_clean() -> None:
    call_command("ledger_check")  # raises CommandError (exit 1) on any violation
    assert LedgerCheckRun.objects.latest("started_at").is_ok is True


def spend(user, amount: D, key: str) -> Transaction:
    return transaction_post(
        kind=TransactionKind.SESSION_CHARGE,
        idempotency_key=key,
        postings=[(wallet_account(user), -amount), (house_account("platform:revenue"), amount)],
        user=user,
    )


def test_adjustment_create_racing_debits_credits_and_one_replayed_key_exact_and_never_below_zero(client_user):
    # given: 10.00 in the wallet and one admin
    admin = AdminFactory()
    adjustment_create(actor=admin, user=client_user, amount=D("10.00"), reason="opening", idempotency_key="adj:seed")
    rounds = 6

    def work(index: int) -> dict[str, int]:
        outcome = {"credited": 0, "debited": 0, "refused": 0}
        # every thread also delivers the same adjustment (a double-clicked confirmation): it posts once
        adjustment_create(
            actor=admin, user=client_user, amount=D("1.00"), reason="goodwill", idempotency_key="adj:same"
        )
        for n in range(rounds):
            try:
                if index % 2:
                    adjustment_create(
                        actor=admin,
                        user=client_user,
                        amount=D("0.50"),
                        reason="credit",
                        idempotency_key=f"c:{index}:{n}",
                    )
                    outcome["credited"] += 1
                else:
                    adjustment_create(
                        actor=admin,
                        user=client_user,
                        amount=D("-2.00"),
                        reason="debit",
                        idempotency_key=f"d:{index}:{n}",
                    )
                    outcome["debited"] += 1
            except InsufficientFunds:
                outcome["refused"] += 1
        return outcome

    # when
    results = run_in_threads(THREADS, work)

    # then
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    credited = sum(r["credited"] for r in results)
    debited = sum(r["debited"] for r in results)
    assert credited == (THREADS // 2) * rounds
    assert sum(r["refused"] for r in results) > 0  # the race really reached an empty wallet
    expected = D("11.00") + credited * D("0.50") - debited * D("2.00")
    assert expected >= 0
    assert wallet_account(client_user).balance == expected == balance_of(wallet_account(client_user))
    assert Transaction.objects.filter(idempotency_key="adj:same").count() == 1
    assert Transaction.objects.filter(kind="adjustment").count() == 1 + 1 + credited + debited
    assert AuditLog.objects.filter(action__startswith="wallet.adjustment").count() == 1 + 1 + credited + debited
    assert_ledger_check_clean()


def test_refund_request_racing_requests_never_promise_more_than_the_top_up_then_settle_once(
    client, client_user, stripe_server
):
    # given: a 25.00 top-up paid by card
    admin = AdminFactory()
    paid = topup_paid(client, stripe_server, client_user, "25.00")

    # when: eight admins ask for 5.00 each at the same instant
    def request(index: int) -> Refund:
        return refund_request(actor=admin, topup_id=paid.pk, amount="5.00", reason=f"asked {index}")

    results = run_in_threads(THREADS, request)

    # then: exactly five fit in the top-up; the others are refused with nothing written
    accepted = [r for r in results if isinstance(r, Refund)]
    refused = [r for r in results if isinstance(r, RefundRejected)]
    assert len(accepted) == 5 and len(refused) == THREADS - 5, results
    assert Refund.objects.count() == 5
    assert AuditLog.objects.filter(action="wallet.refund_requested").count() == 5

    # when: the refunds are submitted twice each from racing workers, and Stripe settles them
    run_in_threads(len(accepted) * 2, lambda i: refund_submit(refund_pk=accepted[i % len(accepted)].pk))
    submitted = list(Refund.objects.order_by("pk"))
    assert len(stripe_server.requests_to("POST", "/v1/refunds")) in range(5, 11)  # the SDK retries keep one key
    assert len({r.stripe_refund_id for r in submitted}) == 5
    settled = [stripe_server.refund_settle(r.stripe_refund_id) for r in submitted]
    run_in_threads(len(settled) * 2, lambda i: refund_apply_stripe_state(refund=settled[i % len(settled)]))

    # then: one ledger entry per refund, the wallet emptied exactly
    assert Transaction.objects.filter(kind="refund").count() == 5
    assert wallet_balance(user=client_user) == D("0.00")
    assert_ledger_check_clean()


def test_dispute_funds_withdrawn_racing_spending_takes_what_is_left_and_books_rest_to_losses(
    client, client_user, stripe_server
):
    # given: 40.00 paid by card, and a dispute of all of it
    paid = topup_paid(client, stripe_server, client_user, "40.00")
    charge = stripe_server.charge_for_session(paid.stripe_checkout_session_id)
    dispute = example(
        "dispute",
        id=f"dp_race_{paid.pk}",
        amount=charge["amount"],
        charge=charge["id"],
        payment_intent=charge["payment_intent"],
        currency="usd",
        status="needs_response",
        reason="fraudulent",
    )
    deliver(Client(), stripe_server, "charge.dispute.funds_withdrawn", dispute)

    # when: the withdrawal is processed while the client spends from seven other connections
    def work(index: int):
        if index == 0:
            return stripe_events_process_received()
        try:
            return spend(client_user, D("3.00"), f"race-spend:{index}")
        except (AccountFrozen, InsufficientFunds) as error:
            return error

    results = run_in_threads(THREADS, work)

    # then: whatever came first, nothing is lost: spent + taken + lost == 40.00 and the wallet ends at zero, frozen
    errors = [r for r in results if isinstance(r, BaseException) and not isinstance(r, AccountFrozen)]
    assert not errors, errors
    spent = Transaction.objects.filter(kind=TransactionKind.SESSION_CHARGE).count() * D("3.00")
    chargeback = Transaction.objects.get(kind=TransactionKind.CHARGEBACK)
    legs = {p.account.code: p.amount for p in chargeback.postings.select_related("account")}
    taken = -legs.get(f"wallet:{client_user.pk}", D("0"))
    lost = -legs.get("platform:losses", D("0"))
    assert taken + lost == D("40.00")
    assert taken == D("40.00") - spent  # the chargeback took exactly what the wallet still held
    wallet = wallet_account(client_user)
    assert wallet.balance == D("0.00") and wallet.is_frozen
    assert balance_of(house_account("platform:losses")) == -lost
    assert_ledger_check_clean()


def test_refund_request_racing_spending_refund_or_spend_never_both_and_failed_refund_returns_money(
    client, stripe_server
):
    admin = AdminFactory()
    for round_number in range(4):
        # given: 25.00 paid by card
        user = UserFactory()
        paid = topup_paid(client, stripe_server, user, "25.00")

        # when: an admin asks for a 20.00 refund while the client spends 10.00 from seven other connections
        def work(index: int, paid=paid, user=user, round_number=round_number):
            try:
                if index == 0:
                    return refund_request(actor=admin, topup_id=paid.pk, amount="20.00", reason="asked")
                return spend(user, D("10.00"), f"race-refund-spend:{round_number}:{index}")
            except (RefundRejected, InsufficientFunds) as error:
                return error

        results = run_in_threads(THREADS, work)

        # then: the refund's 20.00 was reserved and no spend got through, or the refund was refused
        errors = [
            r for r in results if isinstance(r, BaseException) and not isinstance(r, RefundRejected | InsufficientFunds)
        ]
        assert not errors, errors
        refund = results[0]
        spends = [r for r in results[1:] if isinstance(r, Transaction)]
        assert isinstance(refund, Refund) != bool(spends), results
        if isinstance(refund, Refund):
            assert wallet_balance(user=user) == D("5.00")
            # when: Stripe fails the refund; then the money is back in the wallet and can be spent
            settled = stripe_server.refund_settle(refund_submit(refund_pk=refund.pk).stripe_refund_id, "failed")
            deliver(client, stripe_server, "refund.failed", settled)
            stripe_events_process_received()
            assert wallet_balance(user=user) == D("25.00")
            spend(user, D("25.00"), f"after-failed-refund:{round_number}")
        else:
            assert wallet_balance(user=user) == D("25.00") - D("10.00") * len(spends) and len(spends) <= 2
    assert_ledger_check_clean()


def test_topup_credit_racing_its_early_refund_never_leaves_it_waiting_or_unbooked(client, stripe_server):
    for round_number in range(6):
        # given: a paid Checkout whose Dashboard refund (10.00) and completion arrive at the same moment
        user = UserFactory()
        topup = topup_checkout(user, "25.00")
        session = stripe_server.session_pay(topup.stripe_checkout_session_id)
        refund = stripe_server.refund_in_dashboard(session["id"], 1000)
        events = [
            deliver(client, stripe_server, "refund.updated", refund).event,
            deliver(client, stripe_server, "checkout.session.completed", session).event,
        ]
        pks = [StripeEvent.objects.get(stripe_event_id=e["id"]).pk for e in events]

        # when: two workers process them at once
        results = run_in_threads(2, lambda i, pks=pks: stripe_event_process(event_pk=pks[i]))
        assert not [r for r in results if isinstance(r, BaseException)], results
        stripe_events_process_received()  # what the release hands back to the workers

        # then: the refund is booked from the credited wallet, and nothing is left waiting for a sweep
        assert wallet_balance(user=user) == D("15.00"), round_number
        assert not StripeEvent.objects.exclude(status=StripeEvent.Status.DONE).exists()
    assert balance_of(house_account("platform:losses")) == D("0.00")
    assert_ledger_check_clean()
