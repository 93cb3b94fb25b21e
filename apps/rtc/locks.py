"""Row locks of the rtc app."""

from .models import NcsSequence


def ncs_sequence_lock(*, channel_name: str, uid: int) -> NcsSequence:
    """Lock (creating it first if needed) the clientSeq row of one user in one channel.

    The caller must hold a transaction. The row is created with ON CONFLICT DO NOTHING so two concurrent
    first events for the same user and channel both end up waiting on the same row.
    """
    NcsSequence.objects.bulk_create([NcsSequence(channel_name=channel_name, uid=uid)], ignore_conflicts=True)
    return NcsSequence.objects.select_for_update(of=("self",)).get(channel_name=channel_name, uid=uid)
