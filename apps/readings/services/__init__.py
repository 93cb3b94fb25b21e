"""Write services of live readings (``livesessions.services``). Import from here.

- ``session_request`` / ``session_accept`` / ``session_decline`` / ``session_end``: the lifecycle;
- ``session_heartbeat`` / ``session_disconnect``: presence from the room, its connection events and NCS;
- ``session_bill_tick``: the periodic tick (timeouts, presence, low balance, minutes due);
- ``session_finalize``: settlement of an ended reading;
- ``session_transition``: the one state-transition function (inner helper).
"""

from .lifecycle import (
    session_accept,
    session_decline,
    session_disconnect,
    session_end,
    session_heartbeat,
    session_request,
)
from .settlement import session_finalize
from .tick import TickResult, session_bill_tick
from .transitions import ALLOWED_TRANSITIONS, session_transition

__all__ = [
    "ALLOWED_TRANSITIONS",
    "TickResult",
    "session_accept",
    "session_bill_tick",
    "session_decline",
    "session_disconnect",
    "session_end",
    "session_finalize",
    "session_heartbeat",
    "session_request",
    "session_transition",
]
