"""Room presence → reading heartbeats. The rtc app calls ``on_presence_signal`` (registered in apps.py) after
each join/leave signal commits (the room module's connection events and Agora NCS webhooks)."""

from functools import partial

from django.db import transaction

from apps.core.parsing import id_or_none
from apps.readings.services.lifecycle import session_disconnect, session_heartbeat
from apps.rtc.models import PresenceSignal

PRESENCE_USE = "session"


def on_presence_signal(signal: PresenceSignal) -> None:
    """Presence hook: hand the signal to a task (the hook runs in the request that stored it)."""
    from apps.readings.tasks import session_presence_signal_task

    transaction.on_commit(partial(session_presence_signal_task.delay, signal.pk))


def session_presence_signal_apply(*, signal_id: int) -> str | None:
    """A join counts as a heartbeat at its time; a leave moves an active reading to reconnecting at once."""
    signal = PresenceSignal.objects.select_related("user").filter(pk=signal_id, use=PRESENCE_USE).first()
    session_id = id_or_none(signal.object_id) if signal is not None else None
    if signal is None or signal.user is None or session_id is None:
        return None
    if signal.is_present:
        return session_heartbeat(user=signal.user, session_id=session_id, at=signal.occurred_at)
    return session_disconnect(user=signal.user, session_id=session_id, at=signal.occurred_at)
