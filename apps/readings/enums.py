"""Choices of live readings: the session state machine and the modality."""

from django.db import models

from apps.readers.enums import Modality  # one definition of text/voice/video for profiles and readings

__all__ = ["ENGAGED_STATES", "LIVE_STATES", "TERMINAL_STATES", "Billing", "Modality", "SessionState"]


class SessionState(models.TextChoices):
    CREATED = "created", "Created"
    WAITING = "waiting", "Waiting for the reader"
    ACTIVE = "active", "In progress"
    PAUSED = "paused", "Paused: add funds to continue"
    RECONNECTING = "reconnecting", "Reconnecting"
    ENDED = "ended", "Ended"
    FINALIZED = "finalized", "Finished"


# A client takes part in at most one of these at a time (database constraint livesession_one_live_per_client).
LIVE_STATES = frozenset({SessionState.WAITING, SessionState.ACTIVE, SessionState.PAUSED, SessionState.RECONNECTING})
# A reader is in at most one of these at a time (livesession_one_live_per_reader); several clients' requests
# may wait for the same reader, who accepts one of them.
ENGAGED_STATES = LIVE_STATES - {SessionState.WAITING}
TERMINAL_STATES = frozenset({SessionState.ENDED, SessionState.FINALIZED})


class EndReason(models.TextChoices):
    DECLINED = "declined", "The reader declined"
    READER_BUSY = "reader_busy", "The reader started another reading"
    INSUFFICIENT_FUNDS = "insufficient_funds", "The wallet could not pay the first minute"
    REQUEST_TIMEOUT = "request_timeout", "The reader did not answer in time"
    CANCELLED = "cancelled", "The client cancelled the request"
    CLIENT_ENDED = "client_ended", "The client ended the reading"
    READER_ENDED = "reader_ended", "The reader ended the reading"
    LOW_BALANCE_TIMEOUT = "low_balance_timeout", "Paused too long without funds"
    SPENDING_CAP = "spending_cap", "The spending limit was reached"
    GRACE_EXHAUSTED = "grace_exhausted", "The connection could not be restored in time"
    TOO_MANY_RECONNECTS = "too_many_reconnects", "The connection dropped too often"
    # Prepaid readings (a booked time): they end when the booked time is over, or when a side never came.
    BOOKED_TIME_OVER = "booked_time_over", "The booked time is over"
    NO_SHOW = "no_show", "The booked reading was missed"
    BOOKING_CANCELLED = "booking_cancelled", "The booking was cancelled by an administrator"


class Billing(models.TextChoices):
    """How a reading is paid. Per minute: charged minute by minute from the wallet into hold:session:<id> (SPEC §4).
    Prepaid: paid before it starts by another app (a booking's flat price in its own hold); the reading charges
    nothing, is never paused for funds, ends at ``prepaid_until_at``, and its finalization calls that app back
    (``apps.readings.prepaid``)."""

    PER_MINUTE = "per_minute", "Per minute"
    PREPAID = "prepaid", "Paid in advance"
