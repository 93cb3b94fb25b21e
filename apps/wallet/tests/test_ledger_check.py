"""The ledger check finds every kind of corruption, reports it, stores the run and audits a failure."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from apps.core.models import AuditLog
from apps.wallet.models import LedgerCheckRun
from apps.wallet.services.ledger import hold_account, house_account, transaction_post, wallet_account
from apps.wallet.services.ledger_check import ledger_check_register, ledger_check_unregister
from apps.wallet.tasks import ledger_check_task
from tests.support.money import top_up

D = Decimal


def run_check(capsys) -> tuple[int, str]:
    try:
        call_command("ledger_check")
    except CommandError as error:
        return error.returncode, capsys.readouterr().out
    return 0, capsys.readouterr().out


@pytest.mark.django_db
def test_ledger_check_clean_ledger_exits_zero_and_stores_run(client_user, capsys):
    # given
    top_up(client_user, "10.00", "topup:1")
    # when
    code, out = run_check(capsys)
    # then
    assert code == 0
    assert "Ledger check: OK" in out
    run = LedgerCheckRun.objects.get()
    assert run.is_ok is True and run.finished_at is not None
    assert run.report["transactions"] == 1
    assert not AuditLog.objects.filter(action="wallet.ledger_check_failed").exists()


@pytest.mark.django_db
def test_ledger_check_corrupted_cached_balance_exits_one_and_audits(client_user, capsys, caplog):
    # given: the cached balance changed behind the posting service's back
    top_up(client_user, "10.00", "topup:1")
    wallet = wallet_account(client_user)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE wallet_account SET balance = 12.00 WHERE id = %s", [wallet.pk])
    # when
    code, out = run_check(capsys)
    # then
    assert code == 1
    assert f"VIOLATION cached_balance: account_id={wallet.pk}, code={wallet.code}, cached=12.00, derived=10.00" in out
    run = LedgerCheckRun.objects.get()
    assert run.is_ok is False
    audit = AuditLog.objects.get(action="wallet.ledger_check_failed")
    assert audit.target_id == str(run.pk)
    assert audit.details["violations"][0]["check"] == "cached_balance"
    assert any(record.levelname == "ERROR" for record in caplog.records)


@pytest.mark.django_db
def test_ledger_check_unbalanced_transaction_and_negative_wallet_reported(client_user, capsys):
    # given: rows written with raw SQL past the disabled balance triggers (inside the test transaction,
    # rolled back afterwards): the check must find them on its own as well
    wallet = wallet_account(client_user)
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE wallet_posting DISABLE TRIGGER wallet_posting_balanced")
        cursor.execute("ALTER TABLE wallet_transaction DISABLE TRIGGER wallet_transaction_balanced")
        cursor.execute(
            "INSERT INTO wallet_transaction (kind, idempotency_key, params_hash, created_at, stripe_event_id,"
            " stripe_payment_intent_id, stripe_checkout_session_id, stripe_refund_id, stripe_dispute_id, memo)"
            " VALUES ('adjustment', 'raw', '', now(), '', '', '', '', '', '') RETURNING id"
        )
        txn_id = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO wallet_posting (transaction_id, account_id, amount) VALUES (%s, %s, -5)", [txn_id, wallet.pk]
        )
    # when
    code, out = run_check(capsys)
    # then
    assert code == 1
    assert f"VIOLATION transaction_balances: transaction_id={txn_id}" in out
    assert f"VIOLATION non_negative: account_id={wallet.pk}" in out
    assert f"VIOLATION cached_balance: account_id={wallet.pk}" in out


@pytest.mark.django_db
def test_ledger_check_house_account_with_cached_balance_reported(client_user, capsys):
    # given
    top_up(client_user, "10.00", "topup:1")
    cash = house_account("stripe:cash")
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE needs no pending deferred checks
        cursor.execute("ALTER TABLE wallet_account DROP CONSTRAINT wallet_account_house_not_cached")
        cursor.execute("UPDATE wallet_account SET balance = -10.00 WHERE id = %s", [cash.pk])
    # when
    code, out = run_check(capsys)
    # then
    assert code == 1
    assert f"VIOLATION cached_balance: account_id={cash.pk}, code=stripe:cash" in out


@pytest.mark.django_db
def test_ledger_check_reports_open_holds_and_runs_registered_checks(client_user, capsys):
    # given
    top_up(client_user, "10.00", "topup:1")
    transaction_post(
        kind="session_charge",
        idempotency_key="hold:9",
        postings=[(wallet_account(client_user), D("-4.00")), (hold_account("session", 9), D("4.00"))],
    )

    @ledger_check_register("finished_sessions_hold_nothing")
    def finished_sessions_hold_nothing():
        return [{"session_id": 9, "held": "4.00"}]

    # when
    try:
        code, out = run_check(capsys)
    finally:
        ledger_check_unregister("finished_sessions_hold_nothing")
    # then
    assert code == 1
    assert "hold:session:9: 4.00" in out
    assert "VIOLATION finished_sessions_hold_nothing: session_id=9, held=4.00" in out


@pytest.mark.django_db
def test_ledger_check_task_stores_nightly_run(client_user):
    # given
    top_up(client_user, "1.00", "topup:1")
    # when
    run_id = ledger_check_task.apply().get()
    # then
    run = LedgerCheckRun.objects.get(pk=run_id)
    assert run.trigger == "nightly" and run.is_ok is True


def test_ledger_check_task_scheduled_nightly():
    from config.celery import app

    entry = app.conf.beat_schedule["wallet-ledger-check-nightly"]
    assert entry["task"] == "wallet.ledger_check" == ledger_check_task.name
    assert entry["schedule"].hour == {3}


@pytest.mark.django_db
def test_ledger_check_registered_check_that_cannot_run_reported_exit_one_not_crash(client_user, capsys):
    # given: a registered check whose SQL this database rejects, next to a healthy ledger
    top_up(client_user, "10.00", "topup:1")

    @ledger_check_register("broken_check")
    def broken_check():
        with connection.cursor() as cursor:
            cursor.execute("SELECT no_such_column FROM wallet_account")
        return []

    # when
    try:
        code, out = run_check(capsys)
    finally:
        ledger_check_unregister("broken_check")
    # then: the run is stored, says which check failed, and the core checks still ran on the same snapshot
    assert code == 1
    assert "VIOLATION broken_check: error=the check could not run:" in out
    assert "no_such_column" in out
    run = LedgerCheckRun.objects.get()
    assert run.is_ok is False
    assert [v["check"] for v in run.report["violations"]] == ["broken_check"]
    assert run.report["transactions"] == 1
    assert AuditLog.objects.filter(action="wallet.ledger_check_failed").count() == 1
