"""Row locks for this app. Callers hold the transaction."""

from .models import ReaderProfile


def reader_profile_lock(*, user_id: int) -> ReaderProfile:
    """Lock and return ``user_id``'s reader profile (raises ReaderProfile.DoesNotExist)."""
    return ReaderProfile.objects.select_for_update(of=("self",)).get(user_id=user_id)
