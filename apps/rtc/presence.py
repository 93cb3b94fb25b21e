"""Presence hooks: other apps subscribe to join/leave signals of their rooms.

    presence_subscribe("session", on_session_presence)   # called with a committed PresenceSignal

Hooks run after the transaction that created the signal commits; one failing hook is logged and does not
stop the others. A hook that has real work to do should enqueue a task with the signal's id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from .models import PresenceSignal

logger = logging.getLogger(__name__)

PresenceHook = Callable[[PresenceSignal], None]
_HOOKS: dict[str, list[PresenceHook]] = {}


def presence_subscribe(use: str, hook: PresenceHook) -> None:
    hooks = _HOOKS.setdefault(use, [])
    if hook not in hooks:
        hooks.append(hook)


def presence_unsubscribe(use: str, hook: PresenceHook) -> None:
    hooks = _HOOKS.get(use, [])
    if hook in hooks:
        hooks.remove(hook)


def presence_dispatch(signal_id: int) -> None:
    signal = PresenceSignal.objects.select_related("user").filter(pk=signal_id).first()
    if signal is None:
        return
    for hook in list(_HOOKS.get(signal.use, [])):
        try:
            hook(signal)
        except Exception:
            logger.exception("presence hook failed", extra={"signal_id": signal_id, "use": signal.use})
