"""Timing and billing rules of live readings (SPEC §4)."""

from datetime import timedelta

MINUTE_SECONDS = 60
# The reader must accept a request within this time, or it ends unbilled.
REQUEST_TIMEOUT = timedelta(seconds=60)
# Both sides send a heartbeat this often (the room page reads it from here).
HEARTBEAT_INTERVAL_SECONDS = 10
# A side silent for this long moves the reading to reconnecting.
SILENCE_TIMEOUT = timedelta(seconds=30)
# Total time a reading may spend reconnecting, over its whole life.
RECONNECT_GRACE_SECONDS = 5 * 60
# A reading ends at the disconnection that would exceed this many reconnects.
MAX_RECONNECTS = 5
# A reading paused for lack of funds ends after this long.
PAUSE_TIMEOUT = timedelta(minutes=3)
# The room warns the client when the wallet holds this many minutes or fewer.
LOW_BALANCE_WARNING_MINUTES = 2
# How many due readings one billing statement takes at most.
TICK_BATCH_SIZE = 5000
# An ended reading the tick has failed to settle this many times is reported to the admins (once).
SETTLEMENT_ALERT_ATTEMPTS = 5

# The hold subject of a reading (apps.wallet.hold_subjects): its hold is hold:session:<id>.
SESSION_SUBJECT = "session"
