"""The one clock of live readings: the database's.

Heartbeats are written by web processes and read by the billing tick on a worker; if each used its own
clock, a skew of a few seconds between machines would move active time, and one of 30 s would make the tick
see a party who just sent a heartbeat as silent (a reconnect). So every instant a reading records or compares
comes from PostgreSQL: heartbeats are stamped in SQL (``Now()``), and the services, the tick and the room's
countdowns read ``db_now()``. Both are ``statement_timestamp()``, which moves on within a transaction.
"""

from datetime import datetime

from django.db import connection


def db_now() -> datetime:
    """The database's current time (aware, UTC)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement_timestamp()")
        return cursor.fetchone()[0]
