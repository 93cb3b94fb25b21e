"""reconcile_stripe: ledger top-ups and refunds against Stripe's balance transactions (listed through the
SDK with auto-pagination); differences listed, exit code 1, the run stored for the admin dashboard."""

import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from apps.wallet.models import ReconciliationRun
from apps.wallet.services.reconciliation import reconcile_stripe
from apps.wallet.services.refunds import refund_request, refund_submit
from apps.wallet.services.webhooks import stripe_events_process_received
from apps.wallet.tasks import reconcile_stripe_task

from .stripe_flows import deliver, topup_paid
from .stripe_server import example, new_id

pytestmark = pytest.mark.django_db

TODAY = time.strftime("%Y-%m-%d", time.gmtime())


@pytest.fixture
def books(client, admin_user, client_user, stripe_server):
    """Two top-ups and one succeeded refund, the same in the ledger and at Stripe."""
    first = topup_paid(client, stripe_server, client_user, "25.00")
    topup_paid(client, stripe_server, client_user, "40.00")
    refund = refund_submit(refund_pk=refund_request(actor=admin_user, topup_id=first.pk, amount="5.00", reason="r").pk)
    deliver(client, stripe_server, "refund.updated", stripe_server.refund_settle(refund.stripe_refund_id))
    stripe_events_process_received()
    return stripe_server


def test_reconcile_stripe_matching_books_clean_exit_0(books, capsys):
    # when
    call_command("reconcile_stripe", "--since", TODAY)
    # then the balance transactions were listed through the SDK for the period, expanded to their source
    [request, *_] = books.requests_to("GET", "/v1/balance_transactions")
    assert request.params["expand"] == ["data.source"] and request.params["created"]["gte"].isdigit()
    out = capsys.readouterr().out
    assert "3 ledger item(s), 3 Stripe item(s)" in out and "No differences." in out
    run = ReconciliationRun.objects.get()
    assert run.is_clean and run.differences == [] and run.finished_at is not None


def test_reconcile_stripe_differences_listed_exit_1(books, client_user, capsys):
    # given Stripe has a charge the ledger never booked, and one amount differs
    books.balance_transactions.append(
        example(
            "balance_transaction",
            id=new_id("txn"),
            amount=1234,
            net=1234,
            fee=0,
            created=int(time.time()),
            type="charge",
            source=books.charges.setdefault(
                "ch_test_orphan", example("charge", id="ch_test_orphan", payment_intent="pi_test_orphan", amount=1234)
            )["id"],
        )
    )
    charge_txn = next(t for t in books.balance_transactions if t["type"] == "charge")
    charge_txn["amount"] = 2600  # Stripe says $26.00 for the $25.00 top-up
    # and the ledger has a top-up Stripe does not know
    from apps.wallet.enums import TransactionKind
    from apps.wallet.services.ledger import house_account, transaction_post, wallet_account

    transaction_post(
        kind=TransactionKind.TOP_UP,
        idempotency_key="topup:cs_test_ghost",
        postings=[(house_account("stripe:cash"), Decimal("-9.00")), (wallet_account(client_user), Decimal("9.00"))],
        user=client_user,
        stripe_payment_intent_id="pi_test_ghost",
        stripe_checkout_session_id="cs_test_ghost",
    )
    # when
    with pytest.raises(CommandError) as raised:
        call_command("reconcile_stripe", "--since", TODAY)
    # then
    assert raised.value.returncode == 1
    out = capsys.readouterr().out
    assert "missing_in_ledger: top_up pi_test_orphan (stripe_amount=12.34)" in out
    assert "missing_in_stripe: top_up pi_test_ghost (ledger_amount=9.00)" in out
    assert "amount_mismatch: top_up" in out and "ledger_amount=25.00, stripe_amount=26.00" in out
    run = ReconciliationRun.objects.get()
    assert not run.is_clean and {d["problem"] for d in run.differences} == {
        "missing_in_ledger",
        "missing_in_stripe",
        "amount_mismatch",
    }


def test_reconcile_stripe_follows_pagination(books):
    # given more balance transactions than one page (100) holds
    for _ in range(105):
        books.balance_transactions.append(
            example("balance_transaction", id=new_id("txn"), amount=0, created=int(time.time()), type="adjustment")
        )
    run = reconcile_stripe(since=datetime.now(UTC).date())
    assert run.is_clean
    pages = books.requests_to("GET", "/v1/balance_transactions")
    assert len(pages) == 2 and "starting_after" in pages[1].params


def test_reconcile_stripe_period_before_activity_is_empty_and_clean(books):
    call_command("reconcile_stripe", "--since", "2020-01-01", "--until", "2020-01-31")
    run = ReconciliationRun.objects.get()
    assert run.is_clean and run.ledger_count == 0 and run.stripe_count == 0


def test_reconcile_stripe_bad_arguments_refused(stripe_server):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("reconcile_stripe", "--since", "yesterday")
    with pytest.raises(CommandError, match="before"):
        call_command("reconcile_stripe", "--since", "2026-02-02", "--until", "2026-02-01")
    assert not ReconciliationRun.objects.exists()


def test_reconcile_stripe_without_stripe_keys_refused(db):
    with pytest.raises(CommandError, match="not configured"):
        call_command("reconcile_stripe", "--since", TODAY)


def test_reconcile_stripe_task_stores_run_shown_on_admin_page(books, admin_client):
    run_id = reconcile_stripe_task()
    assert ReconciliationRun.objects.get(pk=run_id).is_clean
    page = admin_client.get(reverse("staff_wallet:refunds"))
    assert b"No differences" in page.content


def test_reconcile_stripe_nightly_beat_entry():
    from config.celery import app

    entry = app.conf.beat_schedule["wallet-reconcile-stripe-nightly"]
    assert entry["task"] == "wallet.reconcile_stripe" == reconcile_stripe_task.name


def test_staff_stripe_panel_shows_last_reconciliation_on_admin_dashboard(books, admin_client, client, client_user):
    # given a reconciliation with a difference
    books.balance_transactions[0]["amount"] += 1
    reconcile_stripe_task()
    # when
    panel = admin_client.get(reverse("staff_wallet:stripe_panel")).content.decode()
    dashboard = admin_client.get(reverse("dashboards:admin")).content.decode()
    # then
    assert "1 difference" in panel and "0 Stripe events failed" in panel
    assert reverse("staff_wallet:stripe_panel") in dashboard
    client.force_login(client_user)
    assert client.get(reverse("staff_wallet:stripe_panel")).status_code == 404


def test_reconcile_stripe_stripe_unreachable_exit_2_clear_message_run_stored_with_error(books):
    # given: Stripe answers every balance-transaction request with a server error
    books.fail_next("GET", "/v1/balance_transactions", status=500, times=20)
    # when
    with pytest.raises(CommandError) as raised:
        call_command("reconcile_stripe", "--since", TODAY)
    # then: no traceback, a clear message, and the admin dashboard shows the failed run
    assert raised.value.returncode == 2
    assert "Could not read Stripe" in str(raised.value)
    run = ReconciliationRun.objects.get()
    assert run.is_clean is False and run.error and run.finished_at is not None


def test_reconcile_stripe_counts_refund_failures(books, client):
    # given the refund of the books failed at Stripe after succeeding (a refund_failure balance transaction)
    refund_id = next(iter(books.refunds))
    failed = books.refund_settle(refund_id, status="failed")
    # when the ledger has not heard of it yet
    run = reconcile_stripe(since=datetime.now(UTC).date())
    # then the refund is reported: Stripe gave the money back, the ledger still shows it refunded
    assert [(d["kind"], d["stripe_id"], d["problem"]) for d in run.differences] == [
        ("refund", refund_id, "amount_mismatch")
    ]
    assert run.differences[0]["stripe_amount"] == "0.00" and run.differences[0]["ledger_amount"] == "5.00"
    # when the failure webhook is applied (a reversing entry)
    deliver(client, books, "refund.failed", failed)
    stripe_events_process_received()
    # then both sides agree again
    assert reconcile_stripe(since=datetime.now(UTC).date()).is_clean
