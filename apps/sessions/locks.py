"""Row locks of live readings. A reading's row is always locked before any ledger account it touches."""

from collections.abc import Iterable

from .models import ReadingSession


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
