"""Ledger checks of live readings, registered with the wallet (see apps.py):

- the hold subject ``session``: every finalized reading's hold is exactly zero (the wallet's generic check
  ``finished_subject_holds_nothing`` proves it of ``finalized_sessions``);
- ``session_minutes_justified``: every reading's minute charges in the ledger match its record
  (count = minutes billed, sum = minutes × rate, keys 1..n) and, for an ended or finalized reading, the
  minutes its events justify: max(1, ceil(active seconds / 60)) if it became active, else none; a prepaid
  reading (a booked, flat-price one) is never charged by the minute: none.
"""

from typing import Any

from django.db import connection

from apps.readings.enums import SessionState
from apps.readings.models import ReadingSession


def _rows(sql: str) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        columns = [column[0] for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _jsonable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: (str(v) if hasattr(v, "quantize") else v) for k, v in row.items()} for row in rows]


def finalized_sessions() -> Any:
    """The readings whose hold must be empty: every finalized one."""
    return ReadingSession.objects.filter(state=SessionState.FINALIZED)


def minutes_justified() -> list[dict[str, Any]]:
    return _jsonable(
        _rows(
            """
            WITH charges AS (
                SELECT t.session_id, COUNT(*) AS charges, MAX(p.amount) AS max_amount, MIN(p.amount) AS min_amount,
                       SUM(p.amount) AS total,
                       COUNT(DISTINCT t.idempotency_key)
                           FILTER (WHERE t.idempotency_key ~ ('^session:' || t.session_id || ':minute:[0-9]+$'))
                           AS keyed
                FROM wallet_transaction t
                JOIN wallet_posting p ON p.transaction_id = t.id AND p.amount > 0
                WHERE t.kind = 'session_charge' AND t.session_id IS NOT NULL
                GROUP BY t.session_id
            ),
            ended_events AS (
                SELECT e.session_id, e.active_seconds,
                       ROW_NUMBER() OVER (PARTITION BY e.session_id ORDER BY e.id DESC) AS newest
                FROM livesessions_sessionevent e WHERE e.to_state = 'ended'
            ),
            ended AS (SELECT session_id, active_seconds FROM ended_events WHERE newest = 1)
            SELECT s.id AS session_id, s.state, s.minutes_billed, s.charged_amount,
                   COALESCE(c.charges, 0) AS ledger_minutes, COALESCE(c.total, 0) AS ledger_amount,
                   ended.active_seconds,
                   CASE WHEN s.accepted_at IS NULL OR s.billing = 'prepaid' THEN 0
                        ELSE GREATEST(1, CEIL(COALESCE(ended.active_seconds, 0) / 60.0)) END AS justified_minutes
            FROM livesessions_readingsession s
            LEFT JOIN charges c ON c.session_id = s.id
            LEFT JOIN ended ON ended.session_id = s.id
            WHERE COALESCE(c.charges, 0) <> s.minutes_billed
               OR COALESCE(c.total, 0) <> s.charged_amount
               OR COALESCE(c.keyed, 0) <> COALESCE(c.charges, 0)
               OR (c.charges IS NOT NULL AND (c.max_amount <> s.rate_amount OR c.min_amount <> s.rate_amount))
               OR (s.state IN ('ended', 'finalized') AND s.minutes_billed <>
                   CASE WHEN s.accepted_at IS NULL OR s.billing = 'prepaid' THEN 0
                        ELSE GREATEST(1, CEIL(COALESCE(ended.active_seconds, 0) / 60.0)) END)
            ORDER BY s.id
            """
        )
    )
