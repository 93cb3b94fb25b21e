"""Refunds of top-ups to the card: admin pages (reason, limits, confirmation, audit), the outbox row sent to
Stripe through the SDK with an idempotency key, and the ledger entry only when Stripe reports success."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from apps.core.models import AuditLog
from apps.wallet.enums import TransactionKind
from apps.wallet.exceptions import InsufficientFunds
from apps.wallet.models import LedgerCheckRun, Refund, StripeEvent, Transaction
from apps.wallet.selectors import balance_of, wallet_balance
from apps.wallet.services.ledger import house_account, transaction_post, wallet_account
from apps.wallet.services.refunds import (
    RefundRejected,
    RefundSubmitRetry,
    refund_hold_account,
    refund_request,
    refund_submit,
)
from apps.wallet.services.webhooks import stripe_events_process_received

from .stripe_flows import deliver, topup_paid
from .stripe_server import API_KEY

pytestmark = pytest.mark.django_db


def spend(user, amount: str, key: str) -> None:
    """The client spends from the wallet (a reading charge), as the readings app will."""
    transaction_post(
        kind=TransactionKind.SESSION_CHARGE,
        idempotency_key=key,
        postings=[(wallet_account(user), -Decimal(amount)), (house_account("platform:revenue"), Decimal(amount))],
        user=user,
    )


@pytest.fixture
def paid(client, client_user, stripe_server):
    return topup_paid(client, stripe_server, client_user, "25.00")


def test_staff_refunds_page_non_admin_404(client, client_user, paid):
    client.force_login(client_user)
    assert client.get(reverse("staff_wallet:refunds")).status_code == 404
    assert client.get(reverse("staff_wallet:refund_new", args=[paid.pk])).status_code == 404
    response = client.post(
        reverse("staff_wallet:refund_new", args=[paid.pk]), {"amount": "5", "reason": "x", "confirm": "1"}
    )
    assert response.status_code == 404 and not Refund.objects.exists()


def test_staff_refunds_page_lists_paid_topups_and_search(admin_client, paid, client_user):
    response = admin_client.get(reverse("staff_wallet:refunds"), {"q": client_user.email})
    assert response.status_code == 200
    assert client_user.email.encode() in response.content
    assert reverse("staff_wallet:refund_new", args=[paid.pk]).encode() in response.content
    nobody = admin_client.get(reverse("staff_wallet:refunds"), {"q": "nobody@example.org"})
    assert reverse("staff_wallet:refund_new", args=[paid.pk]).encode() not in nobody.content


def test_staff_refund_new_without_reason_400_nothing_created(admin_client, paid, stripe_server):
    response = admin_client.post(reverse("staff_wallet:refund_new", args=[paid.pk]), {"amount": "10.00", "reason": " "})
    assert response.status_code == 400 and b"This field is required." in response.content
    assert not Refund.objects.exists() and not stripe_server.requests_to("POST", "/v1/refunds")


def test_refund_request_full_flow_confirm_submit_then_ledger_on_refund_succeeded(
    admin_client, admin_user, client, client_user, paid, stripe_server, django_capture_on_commit_callbacks
):
    url = reverse("staff_wallet:refund_new", args=[paid.pk])
    # given the form shows the limit
    assert b"At most $25.00" in admin_client.get(url).content
    # when the admin reviews a $10 refund
    review = admin_client.post(url, {"amount": "10.00", "reason": "Client asked by email"})
    # then a confirmation step, nothing written yet
    assert review.status_code == 200 and b"Confirm the refund" in review.content and not Refund.objects.exists()

    # when they confirm
    with django_capture_on_commit_callbacks() as callbacks:
        done = admin_client.post(url, {"amount": "10.00", "reason": "Client asked by email", "confirm": "1"})
    # then a pending refund (outbox) and an audit row commit together, the Stripe call is enqueued on commit
    assert done.status_code == 302
    refund = Refund.objects.get()
    assert refund.status == Refund.Status.PENDING and refund.amount == Decimal("10.00")
    assert refund.requested_by == admin_user and refund.reason == "Client asked by email"
    assert len(callbacks) == 1
    audit = AuditLog.objects.get(action="wallet.refund_requested")
    assert audit.actor == admin_user and audit.details["reason"] == "Client asked by email"
    assert not stripe_server.requests_to("POST", "/v1/refunds")
    # and the amount is reserved in the refund's hold in the same transaction
    assert wallet_balance(user=client_user) == Decimal("15.00")
    assert balance_of(refund_hold_account(refund)) == Decimal("10.00")

    # when the job sends it to Stripe
    refund = refund_submit(refund_pk=refund.pk)
    # then the SDK's real request carries the PaymentIntent, the cents and the idempotency key
    [request] = stripe_server.requests_to("POST", "/v1/refunds")
    assert request.authorization == f"Bearer {API_KEY}"
    assert request.idempotency_key == f"refund-request:{refund.pk}"
    assert request.params["payment_intent"] == paid.stripe_payment_intent_id
    assert request.params["amount"] == "1000"
    assert request.params["metadata"] == {
        "refund_id": str(refund.pk),
        "topup_id": str(paid.pk),
        "user_id": str(client_user.pk),
    }
    assert refund.status == Refund.Status.SUBMITTED and refund.stripe_refund_id.startswith("re_")
    # and the money stays reserved until Stripe reports success
    assert balance_of(refund_hold_account(refund)) == Decimal("10.00")
    assert not Transaction.objects.filter(kind="refund").exists()

    # when Stripe reports it succeeded (refund.updated), then charge.refunded, each delivered twice
    settled = stripe_server.refund_settle(refund.stripe_refund_id)
    deliver(client, stripe_server, "refund.updated", settled)
    deliver(client, stripe_server, "charge.refunded", stripe_server.charges[settled["charge"]])
    deliver(client, stripe_server, "refund.updated", settled)
    stripe_events_process_received()
    # then one ledger entry keyed by the refund id: hold → stripe:cash
    txn = Transaction.objects.get(kind="refund")
    assert (
        txn.idempotency_key == f"refund:{refund.stripe_refund_id}" and txn.stripe_refund_id == refund.stripe_refund_id
    )
    assert {p.account.code: p.amount for p in txn.postings.all()} == {
        f"hold:refund:{refund.pk}": Decimal("-10.00"),
        "stripe:cash": Decimal("10.00"),
    }
    assert wallet_balance(user=client_user) == Decimal("15.00")
    assert balance_of(refund_hold_account(refund)) == Decimal("0.00")
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED and refund.completed_at is not None
    assert AuditLog.objects.filter(action="wallet.refund_succeeded", target_id=str(refund.pk)).count() == 1
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {"done"}
    call_command("ledger_check")


def test_refund_request_more_than_wallet_holds_refused(admin_user, client_user, paid, stripe_server):
    # given the client spent $15 of the $25
    spend(client_user, "15.00", "spend-1")
    # when / then
    with pytest.raises(RefundRejected, match=r"holds only \$10.00"):
        refund_request(actor=admin_user, topup_id=paid.pk, amount="10.01", reason="asked")
    assert not Refund.objects.exists()
    refund_request(actor=admin_user, topup_id=paid.pk, amount="10.00", reason="asked")


def test_refund_request_more_than_topup_paid_refused(client, admin_user, client_user, paid, stripe_server):
    # given a second top-up, so the wallet holds more than the first one paid
    topup_paid(client, stripe_server, client_user, "50.00")
    with pytest.raises(RefundRejected, match=r"At most \$25.00"):
        refund_request(actor=admin_user, topup_id=paid.pk, amount="25.01", reason="asked")
    # and earlier refunds of the same top-up count
    refund_request(actor=admin_user, topup_id=paid.pk, amount="20.00", reason="asked")
    with pytest.raises(RefundRejected, match=r"At most \$5.00"):
        refund_request(actor=admin_user, topup_id=paid.pk, amount="5.01", reason="asked")
    assert Refund.objects.count() == 1


def test_refund_request_pending_refunds_count_against_wallet(client, admin_user, client_user, paid, stripe_server):
    second = topup_paid(client, stripe_server, client_user, "10.00")
    spend(client_user, "10.00", "spend-1")  # wallet 25
    refund_request(actor=admin_user, topup_id=paid.pk, amount="20.00", reason="asked")
    with pytest.raises(RefundRejected, match=r"holds only \$5.00"):
        refund_request(actor=admin_user, topup_id=second.pk, amount="10.00", reason="asked")


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        ("0", "greater than or equal to 0.01"),
        ("-5", "greater than or equal to 0.01"),
        ("1.001", "no more than 2 decimal places"),
        ("abc", "Enter a number."),
        ("25.01", "At most $25.00 of this top-up can still be refunded."),
    ],
)
def test_refund_request_bad_amount_refused(admin_client, paid, stripe_server, amount, error):
    url = reverse("staff_wallet:refund_new", args=[paid.pk])
    response = admin_client.post(url, {"amount": amount, "reason": "asked", "confirm": "1"})
    assert response.status_code == 400 and not Refund.objects.exists()
    assert error in response.content.decode()
    assert not stripe_server.requests_to("POST", "/v1/refunds")


def test_refund_submit_stripe_down_stays_pending_then_same_key_succeeds(admin_user, client_user, paid, stripe_server):
    # given a pending refund and Stripe answering 500 (the SDK retries twice, so three failures)
    refund = refund_request(actor=admin_user, topup_id=paid.pk, amount="5.00", reason="asked")
    stripe_server.fail_next("POST", "/v1/refunds", status=500, times=3)
    # when
    with pytest.raises(RefundSubmitRetry):
        refund_submit(refund_pk=refund.pk)
    # then nothing is lost: still pending, retried later with the same idempotency key
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PENDING and refund.submit_attempts == 1
    refund = refund_submit(refund_pk=refund.pk)
    keys = {r.idempotency_key for r in stripe_server.requests_to("POST", "/v1/refunds")}
    assert keys == {f"refund-request:{refund.pk}"}
    assert refund.status == Refund.Status.SUBMITTED and len(stripe_server.refunds) == 1


def test_refund_submit_stripe_refuses_marks_failed_no_ledger(admin_user, client_user, paid, stripe_server):
    refund = refund_request(actor=admin_user, topup_id=paid.pk, amount="5.00", reason="asked")
    stripe_server.fail_next("POST", "/v1/refunds", status=400)
    refund = refund_submit(refund_pk=refund.pk)
    assert refund.status == Refund.Status.FAILED and refund.error["message"]
    assert AuditLog.objects.filter(action="wallet.refund_refused").exists()
    assert not Transaction.objects.filter(kind="refund").exists()
    assert wallet_balance(user=client_user) == Decimal("25.00")


def test_refund_submit_twice_calls_stripe_once(admin_user, paid, stripe_server):
    refund = refund_request(actor=admin_user, topup_id=paid.pk, amount="5.00", reason="asked")
    refund_submit(refund_pk=refund.pk)
    refund_submit(refund_pk=refund.pk)
    assert len(stripe_server.requests_to("POST", "/v1/refunds")) == 1


def test_refund_charge_refunded_without_refund_list_fetches_refund_and_books(
    client, admin_user, client_user, paid, stripe_server
):
    # given a submitted refund; the charge.refunded payload (recent API versions) lists no refunds
    refund = refund_submit(refund_pk=refund_request(actor=admin_user, topup_id=paid.pk, amount="7.50", reason="r").pk)
    stripe_server.refund_settle(refund.stripe_refund_id)
    charge = stripe_server.public(stripe_server.charge_for_session(paid.stripe_checkout_session_id))
    charge.pop("refunds", None)
    # when
    deliver(client, stripe_server, "charge.refunded", charge)
    stripe_events_process_received()
    # then the charge's refunds were listed through the SDK and booked
    [listing] = stripe_server.requests_to("GET", "/v1/refunds")
    assert listing.params["charge"] == charge["id"]
    assert wallet_balance(user=client_user) == Decimal("17.50")
    assert Transaction.objects.filter(kind="refund", stripe_refund_id=refund.stripe_refund_id).count() == 1


def test_refund_in_dashboard_after_client_spent_books_shortfall_to_losses(client, client_user, paid, stripe_server):
    # given the client spent $15 of $25, then a $20 refund is made in the Stripe Dashboard (no hold here)
    spend(client_user, "15.00", "spend-before-dashboard-refund")
    made = stripe_server.refund_in_dashboard(paid.stripe_checkout_session_id, 2000)
    # when Stripe reports it
    deliver(client, stripe_server, "refund.updated", made)
    stripe_events_process_received()
    # then the wallet gives what it holds, platform:losses the rest; the wallet never goes below zero
    txn = Transaction.objects.get(kind="refund")
    assert {p.account.code: p.amount for p in txn.postings.all()} == {
        f"wallet:{client_user.pk}": Decimal("-10.00"),
        "platform:losses": Decimal("-10.00"),
        "stripe:cash": Decimal("20.00"),
    }
    assert wallet_balance(user=client_user) == Decimal("0.00")
    assert balance_of(house_account("platform:losses")) == Decimal("-10.00")
    call_command("ledger_check")


def test_refund_failed_at_stripe_marks_failed_no_ledger(client, admin_user, client_user, paid, stripe_server):
    refund = refund_submit(refund_pk=refund_request(actor=admin_user, topup_id=paid.pk, amount="5.00", reason="r").pk)
    failed = stripe_server.refund_settle(refund.stripe_refund_id, status="failed")
    deliver(client, stripe_server, "refund.failed", failed)
    stripe_events_process_received()
    refund.refresh_from_db()
    assert refund.status == Refund.Status.FAILED
    assert not Transaction.objects.filter(kind="refund").exists()
    # and the amount can be asked for again
    assert refund_request(actor=admin_user, topup_id=paid.pk, amount="25.00", reason="again").amount == Decimal("25.00")


def test_refund_made_in_stripe_dashboard_is_booked_once(client, client_user, paid, stripe_server):
    # given a refund created at Stripe directly (no row here, no metadata)
    from apps.wallet import stripe_gateway

    stripe_server.refund_status = "succeeded"
    made = stripe_gateway.refund_create(
        payment_intent_id=paid.stripe_payment_intent_id, amount=Decimal("3.00"), metadata={}, idempotency_key="dash-1"
    )
    # when its events arrive
    deliver(client, stripe_server, "refund.created", made)
    deliver(client, stripe_server, "charge.refunded", stripe_server.charge_for_session(paid.stripe_checkout_session_id))
    stripe_events_process_received()
    # then
    row = Refund.objects.get()
    assert row.requested_by is None and row.status == Refund.Status.SUCCEEDED and row.amount == Decimal("3.00")
    assert wallet_balance(user=client_user) == Decimal("22.00")
    assert Transaction.objects.filter(kind="refund").count() == 1


def test_refund_request_without_stripe_keys_refused(settings, admin_user, paid):
    settings.STRIPE_SECRET_KEY = ""
    from apps.core.exceptions import IntegrationNotConfigured

    with pytest.raises(IntegrationNotConfigured):
        refund_request(actor=admin_user, topup_id=paid.pk, amount="5.00", reason="asked")
    assert not Refund.objects.exists()


def test_refund_request_reserves_the_amount_so_it_cannot_be_spent(admin_user, client_user, paid, stripe_server):
    # given a $20 refund asked for on a $25 wallet
    refund = refund_request(actor=admin_user, topup_id=paid.pk, amount="20.00", reason="asked")
    # then the $20 left the wallet for the refund's hold, in the same transaction as the request
    assert wallet_balance(user=client_user) == Decimal("5.00")
    assert balance_of(refund_hold_account(refund)) == Decimal("20.00")
    hold = Transaction.objects.get(kind=TransactionKind.REFUND_HOLD)
    assert hold.idempotency_key == f"refund-hold:{refund.pk}"
    # when the client tries to spend $10
    with pytest.raises(InsufficientFunds):
        spend(client_user, "10.00", "spend-after-request")
    # then only what is not on its way back to the card can be spent
    spend(client_user, "5.00", "spend-rest")
    call_command("ledger_check")


def test_refund_succeeded_takes_the_money_from_its_hold(client, admin_user, client_user, paid, stripe_server):
    refund = refund_submit(refund_pk=refund_request(actor=admin_user, topup_id=paid.pk, amount="20.00", reason="r").pk)
    deliver(client, stripe_server, "refund.updated", stripe_server.refund_settle(refund.stripe_refund_id))
    stripe_events_process_received()
    txn = Transaction.objects.get(kind="refund")
    assert {p.account.code: p.amount for p in txn.postings.all()} == {
        f"hold:refund:{refund.pk}": Decimal("-20.00"),
        "stripe:cash": Decimal("20.00"),
    }
    assert wallet_balance(user=client_user) == Decimal("5.00")
    assert balance_of(refund_hold_account(refund)) == Decimal("0.00")
    call_command("ledger_check")


def test_refund_refused_by_stripe_releases_the_hold(admin_user, client_user, paid, stripe_server):
    refund = refund_request(actor=admin_user, topup_id=paid.pk, amount="20.00", reason="asked")
    stripe_server.fail_next("POST", "/v1/refunds", status=400)
    refund = refund_submit(refund_pk=refund.pk)
    assert refund.status == Refund.Status.FAILED
    assert wallet_balance(user=client_user) == Decimal("25.00")
    assert balance_of(refund_hold_account(refund)) == Decimal("0.00")
    assert Transaction.objects.filter(kind=TransactionKind.REFUND_HOLD_RELEASE).count() == 1
    call_command("ledger_check")


def test_refund_failed_before_succeeding_releases_the_hold(client, admin_user, client_user, paid, stripe_server):
    refund = refund_submit(refund_pk=refund_request(actor=admin_user, topup_id=paid.pk, amount="20.00", reason="r").pk)
    failed = stripe_server.refund_settle(refund.stripe_refund_id, status="failed")
    deliver(client, stripe_server, "refund.failed", failed)
    deliver(client, stripe_server, "refund.failed", failed)
    stripe_events_process_received()
    assert wallet_balance(user=client_user) == Decimal("25.00")
    assert Transaction.objects.filter(kind=TransactionKind.REFUND_HOLD_RELEASE).count() == 1
    # and a late "succeeded" for a refund Stripe already reported failed changes nothing
    deliver(client, stripe_server, "refund.updated", {**failed, "status": "succeeded"})
    stripe_events_process_received()
    assert Refund.objects.get().status == Refund.Status.FAILED
    assert wallet_balance(user=client_user) == Decimal("25.00")
    call_command("ledger_check")


@pytest.mark.parametrize("event_type", ["refund.failed", "refund.updated"])
def test_refund_failed_after_succeeded_reverses_and_credits_wallet(
    client, admin_user, client_user, paid, stripe_server, event_type
):
    # given a $20 refund that succeeded and was booked, after the client had spent $15 of the other money
    refund = refund_submit(refund_pk=refund_request(actor=admin_user, topup_id=paid.pk, amount="20.00", reason="r").pk)
    deliver(client, stripe_server, "refund.updated", stripe_server.refund_settle(refund.stripe_refund_id))
    stripe_events_process_received()
    assert wallet_balance(user=client_user) == Decimal("5.00")
    # when the card network returns it: Stripe reports the refund failed (twice)
    failed = stripe_server.refund_settle(refund.stripe_refund_id, status="failed")
    deliver(client, stripe_server, event_type, failed)
    deliver(client, stripe_server, event_type, failed)
    stripe_events_process_received()
    # then one reversing entry gives the money back to the wallet
    refund.refresh_from_db()
    assert refund.status == Refund.Status.FAILED
    reversal = Transaction.objects.get(kind=TransactionKind.REFUND_REVERSAL)
    assert reversal.idempotency_key == f"refund-failure:{refund.stripe_refund_id}"
    assert {p.account.code: p.amount for p in reversal.postings.all()} == {
        f"wallet:{client_user.pk}": Decimal("20.00"),
        "stripe:cash": Decimal("-20.00"),
    }
    assert wallet_balance(user=client_user) == Decimal("25.00")
    assert AuditLog.objects.filter(action="wallet.refund_reversed").count() == 1
    call_command("ledger_check")


def test_ledger_check_reports_a_finished_refund_whose_hold_still_holds_money(admin_user, paid, stripe_server):
    # given a refund marked failed without its hold released (a bug the check must catch)
    refund = refund_request(actor=admin_user, topup_id=paid.pk, amount="20.00", reason="asked")
    Refund.objects.filter(pk=refund.pk).update(status=Refund.Status.FAILED)
    # when / then
    with pytest.raises(CommandError):
        call_command("ledger_check")
    [violation] = LedgerCheckRun.objects.latest("started_at").report["violations"]
    assert violation == {
        "check": "finished_subject_holds_nothing",
        "subject_type": "refund",
        "subject_id": refund.pk,
        "code": f"hold:refund:{refund.pk}",
        "held": "20.00",
    }
