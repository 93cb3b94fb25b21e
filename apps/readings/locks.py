"""Locks of live readings. Lock order: a participant's lock, then the reading's row, then ledger accounts."""

from collections.abc import Iterable

from django.db import connection

from .models import ReadingSession

# First key of the two-key advisory locks below (an arbitrary constant that names this use).
PARTICIPANT_LOCK_SPACE = 0x5E55


def participants_lock(*, user_ids: Iterable[int]) -> None:
    """Serialise what puts a user into a reading (a request locks its client and reader, an accept its
    reader), so each one sees the others' committed result and can refuse with a clear message; the partial
    unique constraints stay the last line of defence. Transaction-scoped advisory locks, one per user, in id
    order, taken before any row lock. The caller holds the transaction."""
    with connection.cursor() as cursor:
        for user_id in sorted(set(user_ids)):
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [PARTICIPANT_LOCK_SPACE, user_id % 2**31])


def session_lock(*, session_id: int) -> ReadingSession:
    """Lock and return one reading (raises ReadingSession.DoesNotExist). The caller holds the transaction."""
    return ReadingSession.objects.select_for_update(of=("self",)).get(pk=session_id)


def sessions_lock_skip_locked(*, session_ids: Iterable[int]) -> list[ReadingSession]:
    """Lock the given readings in primary-key order, skipping any another worker holds right now."""
    return list(
        ReadingSession.objects.select_for_update(of=("self",), skip_locked=True)
        .filter(pk__in=sorted(set(session_ids)))
        .order_by("pk")
    )
