"""Presence of a stream from Agora (NCS events and the room's connection reports, through ``apps.rtc.presence``):
a join counts like a page heartbeat, a leave takes the viewer off the count at once (their page's next heartbeat
brings them back if they are still watching), and the host's join keeps the stream alive."""

from typing import Any

from django.db.models import Q

from apps.core.parsing import id_or_none
from apps.rtc.models import PresenceSignal

from ..access import stream_access_for
from ..constants import VIEWER_PRESENCE_WINDOW
from ..enums import StreamState
from ..models import Stream, StreamViewer
from .streams import viewer_heartbeat


def stream_presence_apply(signal: PresenceSignal) -> str:
    """Apply one committed presence signal of a stream; returns what it did (for the logs and tests).

    Small conditional UPDATEs only, so it runs in the hook itself (after the signal's commit).
    """
    stream_id = id_or_none(signal.object_id)
    if signal.user is None or stream_id is None:
        return "ignored"
    stream = Stream.objects.filter(pk=stream_id, state=StreamState.LIVE).first()
    if stream is None:
        return "ignored"
    user: Any = signal.user
    at = signal.occurred_at
    if stream.host_id == user.pk:
        if signal.is_present:
            Stream.objects.filter(pk=stream.pk).filter(Q(host_seen_at__lt=at) | Q(host_seen_at__isnull=True)).update(
                host_seen_at=at
            )
            return "host_present"
        return "host_absent"
    viewers = StreamViewer.objects.filter(stream=stream, user_id=user.pk, removed_at__isnull=True)
    if signal.is_present:
        if not viewers.exists():
            access = stream_access_for(viewer=user, stream=stream)
            if not access.is_member or access.is_removed:
                return "ignored"
            viewer_heartbeat(actor=user, stream=stream)
            return "joined"
        viewers.filter(last_seen_at__lt=at).update(last_seen_at=at)
        return "present"
    viewers.filter(last_seen_at__lte=at).update(last_seen_at=at - VIEWER_PRESENCE_WINDOW)
    return "left"


def on_presence_signal(signal: PresenceSignal) -> None:
    """The hook registered with ``apps.rtc.presence`` (LiveConfig.ready)."""
    stream_presence_apply(signal)
