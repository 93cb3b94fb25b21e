"""Choices of scheduled readings: the booking state machine, who cancelled, and availability exceptions."""

from django.db import models

from apps.readers.enums import Modality

__all__ = [
    "ACTIVE_BOOKING_STATUSES",
    "FINISHED_BOOKING_STATUSES",
    "BookingEvent",
    "BookingStatus",
    "CancelledBy",
    "ExceptionKind",
    "Modality",
    "NoShowParty",
]


class BookingStatus(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "Missed"


# Bookings that hold the reader's time: two of them never overlap (exclusion constraint booking_no_overlap).
ACTIVE_BOOKING_STATUSES = frozenset({BookingStatus.CONFIRMED, BookingStatus.IN_PROGRESS})
# Settled or refunded: their hold is exactly zero (ledger check finished_subject_holds_nothing).
FINISHED_BOOKING_STATUSES = frozenset({BookingStatus.COMPLETED, BookingStatus.CANCELLED, BookingStatus.NO_SHOW})


class CancelledBy(models.TextChoices):
    CLIENT = "client", "The client"
    READER = "reader", "The reader"
    ADMIN = "admin", "An administrator"


class NoShowParty(models.TextChoices):
    CLIENT = "client", "The client did not join"
    READER = "reader", "The reader did not join"
    BOTH = "both", "Neither side joined"


class ExceptionKind(models.TextChoices):
    DAY_OFF = "day_off", "Day off"
    EXTRA_HOURS = "extra", "Extra hours"


class BookingEvent(models.TextChoices):
    """What happened to a booking, as both parties are told (``notify.booking_event_notify``)."""

    CREATED = "created", "Booked"
    RESCHEDULED = "rescheduled", "Moved"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "Missed"
    COMPLETED = "completed", "Completed"
