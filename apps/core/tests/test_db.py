"""``prepared_cursor``: statements prepared on the server, in the caller's transaction, logged and wrapped like
Django's own; Django's own cursors still prepare nothing."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.core.db import prepared_cursor

pytestmark = pytest.mark.django_db


def _prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_prepared_cursor_prepares_its_statement_once_and_answers_like_a_cursor():
    # when
    sql = "SELECT %s::int + 1, %s::text AS marker_prepared_cursor_test"
    with prepared_cursor() as cursor:
        cursor.execute(sql, [41, "a"])
        first = cursor.fetchone()
        cursor.execute(sql, [1, "b"])
        second = cursor.fetchone()
    # then
    assert (first, second) == ((42, "a"), (2, "b"))
    assert len([s for s in _prepared_statements() if "marker_prepared_cursor_test" in s]) == 1


def test_django_cursors_still_prepare_nothing():
    # given
    with prepared_cursor() as cursor:  # the connection now allows preparing
        cursor.execute("SELECT 1 AS marker_prepared_once")
    # when
    for _ in range(10):
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s::int AS marker_django_cursor", [7])
    # then
    assert not [s for s in _prepared_statements() if "marker_django_cursor" in s]


def test_prepared_cursor_is_logged_in_the_callers_transaction_and_errors_are_djangos():
    # given
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE prepared_probe (id int PRIMARY KEY)")
    # when
    with CaptureQueriesContext(connection) as captured:
        with transaction.atomic(), prepared_cursor() as cursor:
            cursor.execute("INSERT INTO prepared_probe (id) VALUES (%s)", [1])
        with pytest.raises(IntegrityError), transaction.atomic(), prepared_cursor() as cursor:
            cursor.execute("INSERT INTO prepared_probe (id) VALUES (%s)", [1])
    # then
    # logged with their values, as Django logs its own statements
    assert [q["sql"] for q in captured.captured_queries].count("INSERT INTO prepared_probe (id) VALUES (1)") == 2
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM prepared_probe")
        assert cursor.fetchone()[0] == 1
