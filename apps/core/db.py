"""Prepared statements for the few statements that run on every payment.

Django sends every statement as text with its values quoted in, so PostgreSQL parses and plans it again each
time (``prepare_threshold`` is off in the connection settings, which keeps connection poolers working). For the
statements every gift, ticket and posting runs (the stream lock, the accounts, the ledger's lock and write) that
planning was a third of the database's work. ``prepared_cursor()`` gives a cursor on Django's connection (the
caller's transaction; logged and wrapped like any other, so query counts and database errors stay the same)
that binds values on the server and prepares each statement once per connection; psycopg keeps the last 100
prepared on each connection. Production connects to Neon directly, not through its pooler (``DEPLOY.md``), and
PgBouncer 1.21+ (Neon's pooler) keeps protocol-level prepared statements working in any case.

Values are sent typed: a value whose type PostgreSQL cannot infer from where it is used (a select list) needs
a cast in the SQL (``%s::bigint``).
"""

from __future__ import annotations

import contextlib
from typing import Any

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.postgresql.base import CursorDebugWrapper

_ONLY_WHEN_ASKED = 2**31 - 1


class _PreparedDebugWrapper(CursorDebugWrapper):
    """Logs a prepared statement with its values, as Django logs its own: psycopg keeps no such text of a
    statement it sent prepared."""

    def debug_sql(  # type: ignore[no-untyped-def]
        self, sql: Any = None, params: Any = None, use_last_executed_query: bool = False, many: bool = False
    ):
        if use_last_executed_query and not many:
            # As Django: a value it cannot quote leaves the statement as written.
            with contextlib.suppress(psycopg.DataError):
                sql = self.db.ops.compose_sql(sql, params)
        return super().debug_sql(sql, params, use_last_executed_query=False, many=many)


class _PreparingCursor(psycopg.Cursor):  # type: ignore[type-arg]
    def execute(
        self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: bool | None = None
    ) -> Any:
        return super().execute(query, params, prepare=True if prepare is None else prepare, binary=binary)


def prepared_cursor() -> Any:
    """A cursor on the default connection whose statements the server prepares (see the module's docstring).
    Use it as ``connection.cursor()`` is used, for a fixed statement text with ``%s`` or ``%(name)s`` values."""
    db = connections[DEFAULT_DB_ALIAS]  # one look-up of the thread's connection (each goes through a Local)
    db.ensure_connection()
    db.validate_thread_sharing()
    raw = db.connection
    if raw.prepare_threshold is None:
        # None turns preparing off altogether, even when asked; a threshold no statement reaches prepares only
        # what this cursor asks for (Django's own cursors bind values on the client and never prepare).
        raw.prepare_threshold = _ONLY_WHEN_ASKED
    cursor = _PreparingCursor(raw)
    return _PreparedDebugWrapper(cursor, db) if db.queries_logged else db.make_cursor(cursor)
