"""Migration 0006 names the subject of every existing hold account and ledger transaction.

The ledger from before 0006 is written in a database of its own, migrated from empty up to wallet 0005 (the 27
migrations that needs) and then through the wallet's later migrations. The test database keeps its schema: going
back there meant unapplying every app that depends on the wallet, with Django rendering the state of each
migration after wallet 0006, and applying them all again afterwards.
"""

from collections.abc import Iterator

import pytest
from django.db import connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = ("wallet", "0005_ledger_refuses_truncate")
AFTER = ("wallet", "0006_hold_subjects")
ALIAS = "before_hold_subjects"


@pytest.fixture
def blank_database(django_db_setup, django_db_blocker) -> Iterator[BaseDatabaseWrapper]:
    """A connection to an empty database beside the test database, dropped afterwards. Registered under
    ``ALIAS``, as the migrations' own code reaches the database through its connection's alias."""
    name = f"{connection.settings_dict['NAME']}_hold_subjects"
    with django_db_blocker.unblock():
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}"')
        connections.settings[ALIAS] = {**connection.settings_dict, "NAME": name}
        try:
            yield connections[ALIAS]
        finally:
            connections[ALIAS].close()
            del connections[ALIAS]
            del connections.settings[ALIAS]
            with connection._nodb_cursor() as cursor:
                cursor.execute(f'DROP DATABASE "{name}"')


def migrate(database: BaseDatabaseWrapper, target: tuple[str, str]) -> None:
    MigrationExecutor(database).migrate([target])


def insert_account(cursor, code: str, kind: str, balance: str = "0", user_id: int | None = None) -> int:
    cursor.execute(
        "INSERT INTO wallet_account (code, kind, user_id, balance, is_frozen, frozen_reason, frozen_source, created_at)"
        " VALUES (%s, %s, %s, %s, false, '', '', %s) RETURNING id",
        [code, kind, user_id, balance, timezone.now()],
    )
    return cursor.fetchone()[0]


def insert_transaction(cursor, key: str, kind: str, postings: dict[int, str], **refs) -> int:
    columns = ["kind", "idempotency_key", "params_hash", "created_at", "memo", "stripe_event_id",
               "stripe_payment_intent_id", "stripe_checkout_session_id", "stripe_refund_id", "stripe_dispute_id",
               *refs]  # fmt: skip
    values = [kind, key, "0" * 64, timezone.now(), "", "", "", "", "", "", *refs.values()]
    cursor.execute(
        f"INSERT INTO wallet_transaction ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(values))}) "
        "RETURNING id",  # nosec B608: the test's own column names, values are parameters
        values,
    )
    txn_id = cursor.fetchone()[0]
    for account_id, amount in postings.items():
        cursor.execute(
            "INSERT INTO wallet_posting (transaction_id, account_id, amount) VALUES (%s, %s, %s)",
            [txn_id, account_id, amount],
        )
    return txn_id


@pytest.mark.slow
def test_migration_hold_subjects_backfills_existing_holds_and_transactions(blank_database):
    # given a ledger written before the subject pair existed
    migrate(blank_database, BEFORE)
    state = MigrationExecutor(blank_database).loader.project_state(BEFORE)
    client = state.apps.get_model("accounts", "User").objects.using(ALIAS).create(email="before@example.com")
    with transaction.atomic(using=ALIAS), blank_database.cursor() as cursor:
        wallet = insert_account(cursor, f"wallet:{client.pk}", "wallet", "6.00", client.pk)
        cash = insert_account(cursor, "stripe:cash", "stripe_cash")
        reading_hold = insert_account(cursor, "hold:session:41", "hold_session", "2.00")
        refund_hold = insert_account(cursor, "hold:refund:5", "hold_refund", "1.00")
        top_up = insert_transaction(cursor, "topup:cs_1", "top_up", {cash: "-10.00", wallet: "10.00"})
        minute = insert_transaction(
            cursor, "session:41:minute:1", "session_charge", {wallet: "-2.00", reading_hold: "2.00"}, session_id=41
        )
        reserved = insert_transaction(cursor, "refund-hold:5", "refund_hold", {wallet: "-1.00", refund_hold: "1.00"})
        booking = insert_transaction(cursor, "booking:9", "booking", {wallet: "-1.00", cash: "1.00"}, booking_id=9)
    # when: 0006, then the wallet's later migrations
    migrate(blank_database, AFTER)
    executor = MigrationExecutor(blank_database)
    executor.migrate([node for node in executor.loader.graph.leaf_nodes() if node[0] == "wallet"])
    # then
    with blank_database.cursor() as cursor:
        cursor.execute("SELECT code, subject_type, subject_id FROM wallet_account ORDER BY id")
        accounts = {code: (subject_type, subject_id) for code, subject_type, subject_id in cursor.fetchall()}
        cursor.execute("SELECT id, subject_type, subject_id FROM wallet_transaction")
        transactions = {pk: (subject_type, subject_id) for pk, subject_type, subject_id in cursor.fetchall()}
    assert accounts == {
        f"wallet:{client.pk}": ("", None),
        "stripe:cash": ("", None),
        "hold:session:41": ("session", 41),
        "hold:refund:5": ("refund", 5),
    }
    assert transactions == {
        top_up: ("", None),
        minute: ("session", 41),
        reserved: ("refund", 5),
        booking: ("booking", 9),
    }
    # and the ledger stays append-only
    with (
        pytest.raises(Exception, match="append-only"),
        transaction.atomic(using=ALIAS),
        blank_database.cursor() as cursor,
    ):
        cursor.execute("UPDATE wallet_transaction SET memo = 'x' WHERE id = %s", [top_up])
