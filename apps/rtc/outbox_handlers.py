"""Outbox handlers of the rtc app (registered when the app is ready): external calls made after commit and
retried with backoff until they succeed."""

from apps.core.outbox import outbox_handler

from .kicking import KICK_HANDLER, agora_kick


@outbox_handler(KICK_HANDLER)
def agora_kick_handler(*, use: str, object_id: str, user_id: int, channel_name: str, final: bool) -> None:
    """Remove one person from a room's channel through Agora's RESTful API (idempotent: a rule twice is harmless)."""
    agora_kick(use=use, object_id=object_id, user_id=user_id, channel_name=channel_name, final=final)
