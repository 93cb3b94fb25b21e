"""Chargebacks: a dispute freezes the wallet, funds_withdrawn takes what the wallet holds and books the rest to
platform:losses, funds_reinstated / won reverses it and unfreezes. Audited, idempotent, ledger_check clean."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from apps.core.models import AuditLog
from apps.wallet.enums import TransactionKind
from apps.wallet.exceptions import AccountFrozen
from apps.wallet.models import Account, Dispute, StripeEvent, Transaction
from apps.wallet.selectors import balance_of, wallet_balance
from apps.wallet.services.ledger import house_account, transaction_post, wallet_account
from apps.wallet.services.webhooks import stripe_events_process_received

from .stripe_flows import deliver, topup_paid
from .stripe_server import example

pytestmark = pytest.mark.django_db


def dispute_of(server, topup, status="needs_response", amount_cents=None, *, by_charge_only=False):
    charge = server.charge_for_session(topup.stripe_checkout_session_id)
    return example(
        "dispute",
        id=f"dp_test_{topup.pk}",
        amount=amount_cents if amount_cents is not None else charge["amount"],
        charge=charge["id"],
        payment_intent=None if by_charge_only else charge["payment_intent"],
        currency="usd",
        status=status,
        reason="fraudulent",
    )


def spend(user, amount: str) -> None:
    transaction_post(
        kind=TransactionKind.SESSION_CHARGE,
        idempotency_key=f"spend:{user.pk}:{amount}",
        postings=[(wallet_account(user), -Decimal(amount)), (house_account("platform:revenue"), Decimal(amount))],
        user=user,
    )


def wallet_of(user) -> Account:
    return Account.objects.get(code=f"wallet:{user.pk}")


@pytest.fixture
def paid(client, client_user, stripe_server):
    return topup_paid(client, stripe_server, client_user, "50.00")


def test_dispute_created_freezes_wallet_audited_and_blocks_spending(client, client_user, paid, stripe_server):
    # when
    deliver(client, stripe_server, "charge.dispute.created", dispute_of(stripe_server, paid))
    stripe_events_process_received()
    # then
    dispute = Dispute.objects.get()
    assert dispute.topup == paid and dispute.user == client_user and dispute.amount == Decimal("50.00")
    assert dispute.status == Dispute.Status.OPEN
    assert wallet_of(client_user).is_frozen
    audit = AuditLog.objects.get(action="wallet.dispute_opened")
    assert audit.details["wallet"] == "frozen"
    with pytest.raises(AccountFrozen):
        spend(client_user, "5.00")
    # and no money moved yet
    assert wallet_balance(user=client_user) == Decimal("50.00")


def test_dispute_created_frozen_wallet_cannot_top_up(client, client_user, paid, stripe_server):
    deliver(client, stripe_server, "charge.dispute.created", dispute_of(stripe_server, paid))
    stripe_events_process_received()
    client.force_login(client_user)
    response = client.post(reverse("wallet:topup"), {"amount": "25.00", "confirm": "1"}, follow=True)
    assert b"frozen" in response.content
    assert len(stripe_server.requests_to("POST", "/v1/checkout/sessions")) == 1  # the first top-up only


def test_dispute_naming_only_the_charge_is_matched_through_stripe(client, client_user, paid, stripe_server):
    deliver(client, stripe_server, "charge.dispute.created", dispute_of(stripe_server, paid, by_charge_only=True))
    stripe_events_process_received()
    charge_id = stripe_server.charge_for_session(paid.stripe_checkout_session_id)["id"]
    assert stripe_server.requests_to("GET", f"/v1/charges/{charge_id}")
    assert Dispute.objects.get().topup == paid and wallet_of(client_user).is_frozen


def test_dispute_funds_withdrawn_takes_wallet_then_losses(client, client_user, paid, stripe_server):
    # given the client spent $30 of $50 before the dispute
    spend(client_user, "30.00")
    deliver(client, stripe_server, "charge.dispute.created", dispute_of(stripe_server, paid))
    # when Stripe withdraws the $50 (delivered twice)
    withdrawn = dispute_of(stripe_server, paid, status="needs_response")
    deliver(client, stripe_server, "charge.dispute.funds_withdrawn", withdrawn)
    deliver(client, stripe_server, "charge.dispute.funds_withdrawn", withdrawn)
    stripe_events_process_received()
    # then one chargeback: wallet gives its $20, platform:losses the other $30, keyed by the dispute id
    txn = Transaction.objects.get(kind="chargeback")
    assert txn.idempotency_key == f"chargeback:{withdrawn['id']}" and txn.stripe_dispute_id == withdrawn["id"]
    assert {p.account.code: p.amount for p in txn.postings.all()} == {
        f"wallet:{client_user.pk}": Decimal("-20.00"),
        "platform:losses": Decimal("-30.00"),
        "stripe:cash": Decimal("50.00"),
    }
    assert wallet_balance(user=client_user) == Decimal("0.00")
    assert balance_of(house_account("platform:losses")) == Decimal("-30.00")
    assert Dispute.objects.get().status == Dispute.Status.FUNDS_WITHDRAWN
    assert AuditLog.objects.filter(action="wallet.chargeback").count() == 1
    call_command("ledger_check")


def test_dispute_funds_withdrawn_before_created_still_freezes_and_books(client, client_user, paid, stripe_server):
    # out of order: the withdrawal notice arrives first
    deliver(client, stripe_server, "charge.dispute.funds_withdrawn", dispute_of(stripe_server, paid))
    deliver(client, stripe_server, "charge.dispute.created", dispute_of(stripe_server, paid))
    stripe_events_process_received()
    assert wallet_of(client_user).is_frozen
    assert Transaction.objects.filter(kind="chargeback").count() == 1
    assert wallet_balance(user=client_user) == Decimal("0.00")
    assert Dispute.objects.get().status == Dispute.Status.FUNDS_WITHDRAWN


def test_dispute_funds_reinstated_reverses_chargeback_and_unfreezes(client, client_user, paid, stripe_server):
    # given a chargeback that took $20 from the wallet and $30 from losses
    spend(client_user, "30.00")
    deliver(client, stripe_server, "charge.dispute.created", dispute_of(stripe_server, paid))
    deliver(client, stripe_server, "charge.dispute.funds_withdrawn", dispute_of(stripe_server, paid))
    stripe_events_process_received()
    # when the dispute is won: funds_reinstated then closed(won), each twice
    for event_type, status in [
        ("charge.dispute.funds_reinstated", "won"),
        ("charge.dispute.closed", "won"),
        ("charge.dispute.funds_reinstated", "won"),
    ]:
        deliver(client, stripe_server, event_type, dispute_of(stripe_server, paid, status=status))
    stripe_events_process_received()
    # then the chargeback is reversed exactly, once, and the wallet unfrozen
    reversal = Transaction.objects.get(kind="chargeback_reversal")
    assert {p.account.code: p.amount for p in reversal.postings.all()} == {
        f"wallet:{client_user.pk}": Decimal("20.00"),
        "platform:losses": Decimal("30.00"),
        "stripe:cash": Decimal("-50.00"),
    }
    assert wallet_balance(user=client_user) == Decimal("20.00")
    assert balance_of(house_account("platform:losses")) == Decimal("0.00")
    assert not wallet_of(client_user).is_frozen
    assert Dispute.objects.get().status == Dispute.Status.WON
    assert AuditLog.objects.filter(action="wallet.dispute_won").count() == 1
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {"done"}
    spend(client_user, "5.00")  # spending works again
    call_command("ledger_check")


def test_dispute_closed_won_without_withdrawal_unfreezes_no_ledger(client, client_user, paid, stripe_server):
    deliver(
        client,
        stripe_server,
        "charge.dispute.created",
        dispute_of(stripe_server, paid, status="warning_needs_response"),
    )
    deliver(client, stripe_server, "charge.dispute.closed", dispute_of(stripe_server, paid, status="won"))
    stripe_events_process_received()
    assert not wallet_of(client_user).is_frozen
    assert not Transaction.objects.filter(kind__in=["chargeback", "chargeback_reversal"]).exists()
    assert wallet_balance(user=client_user) == Decimal("50.00")


def test_dispute_closed_lost_keeps_wallet_frozen(client, client_user, paid, stripe_server):
    deliver(client, stripe_server, "charge.dispute.created", dispute_of(stripe_server, paid))
    deliver(client, stripe_server, "charge.dispute.funds_withdrawn", dispute_of(stripe_server, paid))
    deliver(client, stripe_server, "charge.dispute.closed", dispute_of(stripe_server, paid, status="lost"))
    stripe_events_process_received()
    assert Dispute.objects.get().status == Dispute.Status.LOST
    assert wallet_of(client_user).is_frozen
    assert not Transaction.objects.filter(kind="chargeback_reversal").exists()
    assert AuditLog.objects.filter(action="wallet.dispute_lost").exists()


def test_dispute_won_with_another_open_dispute_stays_frozen(client, client_user, paid, stripe_server):
    second = topup_paid(client, stripe_server, client_user, "10.00")
    deliver(client, stripe_server, "charge.dispute.created", dispute_of(stripe_server, paid))
    deliver(client, stripe_server, "charge.dispute.created", dispute_of(stripe_server, second))
    deliver(client, stripe_server, "charge.dispute.closed", dispute_of(stripe_server, paid, status="won"))
    stripe_events_process_received()
    assert wallet_of(client_user).is_frozen


def test_dispute_of_unknown_payment_ignored(client, client_user, paid, stripe_server):
    other = example("dispute", id="dp_test_other", payment_intent="pi_not_ours", charge=None, amount=1000)
    deliver(client, stripe_server, "charge.dispute.created", other)
    deliver(client, stripe_server, "charge.dispute.funds_withdrawn", other)
    stripe_events_process_received()
    assert not Dispute.objects.exists() and not wallet_of(client_user).is_frozen
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {"done"}


def test_dispute_reinstated_before_withdrawn_delivered_nets_to_nothing(client, client_user, paid, stripe_server):
    # given the events of a won dispute delivered in reverse order
    deliver(client, stripe_server, "charge.dispute.created", dispute_of(stripe_server, paid))
    deliver(client, stripe_server, "charge.dispute.funds_reinstated", dispute_of(stripe_server, paid, status="won"))
    stripe_events_process_received()
    deliver(client, stripe_server, "charge.dispute.funds_withdrawn", dispute_of(stripe_server, paid))
    stripe_events_process_received()
    # then the wallet is whole and unfrozen, and no chargeback is left standing
    assert wallet_balance(user=client_user) == Decimal("50.00")
    assert not wallet_of(client_user).is_frozen
    assert not Transaction.objects.filter(kind="chargeback").exists()
    assert Dispute.objects.get().status == Dispute.Status.WON
    call_command("ledger_check")


def test_dispute_closed_warning_closed_inquiry_unfreezes_wallet(client, client_user, paid, stripe_server):
    # given an inquiry (no money withdrawn) that froze the wallet
    deliver(
        client,
        stripe_server,
        "charge.dispute.created",
        dispute_of(stripe_server, paid, status="warning_needs_response"),
    )
    stripe_events_process_received()
    assert wallet_of(client_user).is_frozen
    # when the inquiry closes without becoming a chargeback
    deliver(client, stripe_server, "charge.dispute.closed", dispute_of(stripe_server, paid, status="warning_closed"))
    stripe_events_process_received()
    # then the wallet is usable again and no money moved
    assert Dispute.objects.get().status == Dispute.Status.WARNING_CLOSED
    assert not wallet_of(client_user).is_frozen
    assert wallet_balance(user=client_user) == Decimal("50.00")
    assert AuditLog.objects.filter(action="wallet.dispute_warning_closed").count() == 1
    spend(client_user, "5.00")
    call_command("ledger_check")


def test_dispute_status_never_moves_backwards_on_late_events(client, client_user, paid, stripe_server):
    # given a dispute closed as won
    deliver(client, stripe_server, "charge.dispute.created", dispute_of(stripe_server, paid))
    deliver(client, stripe_server, "charge.dispute.closed", dispute_of(stripe_server, paid, status="won"))
    stripe_events_process_received()
    # when an older "created" (needs_response) and an older "under_review" update arrive late
    deliver(client, stripe_server, "charge.dispute.created", dispute_of(stripe_server, paid, status="needs_response"))
    deliver(client, stripe_server, "charge.dispute.updated", dispute_of(stripe_server, paid, status="under_review"))
    stripe_events_process_received()
    # then the dispute stays won and the wallet unfrozen
    dispute = Dispute.objects.get()
    assert dispute.status == Dispute.Status.WON and dispute.stripe_status == "won"
    assert not wallet_of(client_user).is_frozen


def test_dispute_lost_then_reinstated_notice_keeps_lost_and_frozen(client, client_user, paid, stripe_server):
    # given a lost dispute
    deliver(client, stripe_server, "charge.dispute.funds_withdrawn", dispute_of(stripe_server, paid))
    deliver(client, stripe_server, "charge.dispute.closed", dispute_of(stripe_server, paid, status="lost"))
    stripe_events_process_received()
    # when a contradicting late notice arrives
    deliver(client, stripe_server, "charge.dispute.funds_reinstated", dispute_of(stripe_server, paid, status="won"))
    stripe_events_process_received()
    # then a closed dispute does not change any more
    assert Dispute.objects.get().status == Dispute.Status.LOST
    assert wallet_of(client_user).is_frozen
    assert wallet_balance(user=client_user) == Decimal("0.00")


def test_dispute_won_does_not_lift_the_freeze_of_a_lost_dispute(client, client_user, paid, stripe_server):
    # given dispute A lost (the wallet stays frozen until an admin lifts it)
    second = topup_paid(client, stripe_server, client_user, "10.00")
    deliver(client, stripe_server, "charge.dispute.funds_withdrawn", dispute_of(stripe_server, paid))
    deliver(client, stripe_server, "charge.dispute.closed", dispute_of(stripe_server, paid, status="lost"))
    stripe_events_process_received()
    # when dispute B, on another top-up, opens and is won
    deliver(client, stripe_server, "charge.dispute.created", dispute_of(stripe_server, second))
    deliver(client, stripe_server, "charge.dispute.closed", dispute_of(stripe_server, second, status="won"))
    stripe_events_process_received()
    # then the wallet stays frozen: only an admin lifts the freeze of a lost dispute
    assert wallet_of(client_user).is_frozen
    assert wallet_of(client_user).frozen_source == Account.FreezeSource.DISPUTE_LOST


def test_dispute_closed_lost_without_withdrawal_notice_books_chargeback(client, client_user, paid, stripe_server):
    # given only the closing notice of a lost dispute arrives
    deliver(client, stripe_server, "charge.dispute.closed", dispute_of(stripe_server, paid, status="lost"))
    stripe_events_process_received()
    # then the money Stripe kept is taken once, even when the withdrawal notice comes later
    deliver(client, stripe_server, "charge.dispute.funds_withdrawn", dispute_of(stripe_server, paid))
    stripe_events_process_received()
    assert Transaction.objects.filter(kind="chargeback").count() == 1
    assert wallet_balance(user=client_user) == Decimal("0.00")
    assert Dispute.objects.get().status == Dispute.Status.LOST and wallet_of(client_user).is_frozen
    call_command("ledger_check")
