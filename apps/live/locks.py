"""Row locks of the live app. Callers hold the transaction; locks are taken before any ledger posting."""

from .models import GiftKind, Stream, StreamViewer


def stream_lock(*, stream_id: int) -> Stream:
    """Lock one stream for a change of its state (raises Stream.DoesNotExist)."""
    return Stream.objects.select_for_update(of=("self",)).get(pk=stream_id)


def stream_key_share_lock(*, stream_id: int) -> Stream:
    """Hold a stream in its state while a ticket or gift is paid for (raises Stream.DoesNotExist).

    FOR KEY SHARE: payments in the same stream do not wait for each other (nor for heartbeats, which update
    no key), but ``stream_lock`` (FOR UPDATE, ending the stream) waits for the payments in flight, so no gift
    lands in a stream after its end and the host's summary is final.
    """
    rows = list(Stream.objects.raw("SELECT * FROM live_stream WHERE id = %s FOR KEY SHARE", [stream_id]))
    if not rows:
        raise Stream.DoesNotExist()
    return rows[0]


def viewer_lock(*, stream_id: int, user_id: int) -> StreamViewer:
    """Lock one viewer row (raises StreamViewer.DoesNotExist)."""
    return StreamViewer.objects.select_for_update(of=("self",)).get(stream_id=stream_id, user_id=user_id)


def gift_kind_lock(*, gift_kind_id: int) -> GiftKind | None:
    """Lock one catalog entry for an admin's change (None when there is no such entry)."""
    return GiftKind.objects.select_for_update(of=("self",)).filter(pk=gift_kind_id).first()
