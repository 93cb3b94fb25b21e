"""A client books a reader's open slot and pays for it at once (SPEC §6).

``booking_create`` is one durable transaction: lock the reader's schedule, check the slot is still open,
snapshot the price and the cancellation policy, write the booking and move the price from the client's wallet
into ``hold:booking:<id>``. Two bookings of overlapping time are refused by the database itself (the
exclusion constraint ``booking_no_overlap``), so whatever reaches the insert, one wins and the other gets
``SlotTaken`` with no money moved.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone as dj_timezone

from apps.core.exceptions import InvalidInputError, InvalidStateError
from apps.core.ratelimit import rate_limit_consume
from apps.core.services import audit_log_record
from apps.moderation.guards import write_guard
from apps.wallet.enums import TransactionKind
from apps.wallet.exceptions import IdempotencyConflict, InsufficientFunds
from apps.wallet.selectors import wallet_balance
from apps.wallet.services.holds import hold_fund
from apps.wallet.services.shares import reader_rate

from ..constants import BOOKING_SUBJECT, CANCELLATION_POLICY
from ..enums import ACTIVE_BOOKING_STATUSES, BookingEvent
from ..locks import schedule_lock
from ..models import Booking, ReaderSchedule
from ..notify import booking_event_notify
from ..selectors_slots import bookable_reader_get, schedule_rules, slot_is_open

# A client books at most this many readings per hour (a booking moves money: keep scripts from hammering it).
BOOKINGS_PER_HOUR = 10
INTAKE_NOTE_MAX = 1000


class SlotTaken(InvalidStateError):
    default_message = "That time was just taken — please pick another slot."


class SlotUnavailable(InvalidStateError):
    default_message = "That time is not open for booking — please pick another slot."


@dataclass(frozen=True)
class BookingRequest:
    """What the client asked for, to tell a repeated request (same key) from a different one."""

    reader_id: int
    starts_at: datetime
    duration_minutes: int
    modality: str

    def matches(self, booking: Booking) -> bool:
        return (
            booking.reader_id == self.reader_id
            and booking.starts_at == self.starts_at
            and booking.duration_minutes == self.duration_minutes
            and booking.modality == self.modality
        )


def price_for(*, rate_amount: Decimal, duration_minutes: int) -> Decimal:
    return (rate_amount * duration_minutes).quantize(Decimal("0.01"))


def _replay(*, client: Any, idempotency_key: str, asked: BookingRequest) -> Booking | None:
    booking = Booking.objects.filter(client=client, idempotency_key=idempotency_key).first()
    if booking is not None and not asked.matches(booking):
        raise IdempotencyConflict("This booking form was already used for another time. Please start again.")
    return booking


def booking_create(
    *,
    client: Any,
    reader_id: int,
    starts_at: datetime,
    duration_minutes: int,
    modality: str,
    idempotency_key: str,
    intake_note: str = "",
    request: HttpRequest | None = None,
) -> Booking:
    """Book [starts_at, starts_at + duration) with ``reader_id`` and pay the price into the booking's hold.

    Refused with nothing written: ``NotFound`` (no such listed reader), ``InvalidInputError`` (yourself, a
    duration or modality the reader does not offer, a bad key or note), ``InvalidStateError`` (the reader does
    not take bookings), ``SlotUnavailable`` / ``SlotTaken`` (the time is not open, or was just booked),
    ``InsufficientFunds`` (the wallet cannot pay), ``RateLimitedError``. The same ``idempotency_key`` again
    returns the first booking.
    """
    write_guard(client)
    if not idempotency_key or len(idempotency_key) > 64:
        raise InvalidInputError("This booking form has expired. Please pick the slot again.")
    if starts_at.tzinfo is None:
        raise InvalidInputError("The start time needs a timezone.")
    if len(intake_note) > INTAKE_NOTE_MAX:
        raise InvalidInputError(f"The note to the reader is at most {INTAKE_NOTE_MAX} characters.")
    asked = BookingRequest(
        reader_id=int(reader_id),
        starts_at=starts_at.astimezone(UTC),
        duration_minutes=int(duration_minutes),
        modality=modality,
    )
    first = _replay(client=client, idempotency_key=idempotency_key, asked=asked)
    if first is not None:
        return first
    if client.pk == asked.reader_id:
        raise InvalidInputError("You cannot book a reading with yourself.")
    rate_limit_consume(
        scope="scheduling.booking",
        subject_id=client.pk,
        limit=BOOKINGS_PER_HOUR,
        window_seconds=3600,
        message="You have made many bookings in the last hour. Please wait a little before booking again.",
    )
    return _booking_write(
        client=client, asked=asked, idempotency_key=idempotency_key, intake_note=intake_note.strip(), request=request
    )


@transaction.atomic(durable=True)
def _booking_write(
    *, client: Any, asked: BookingRequest, idempotency_key: str, intake_note: str, request: HttpRequest | None
) -> Booking:
    try:
        schedule = schedule_lock(asked.reader_id)
    except ReaderSchedule.DoesNotExist:
        bookable_reader_get(reader_user_id=asked.reader_id)  # NotFound for a reader who is not listed
        raise InvalidStateError("This reader is not taking bookings at the moment.") from None
    # Under the lock: a request with the same key that was waiting for it finds the booking the first made.
    first = _replay(client=client, idempotency_key=idempotency_key, asked=asked)
    if first is not None:
        return first
    bookable = bookable_reader_get(reader_user_id=asked.reader_id)
    if bookable.refusal:
        raise InvalidStateError(bookable.refusal)
    if asked.modality not in {value for value, _label in bookable.modalities}:
        raise InvalidInputError("Choose one of the kinds of reading this reader offers.")
    if asked.duration_minutes not in schedule.durations:
        raise InvalidInputError("Choose one of the durations this reader offers.")
    now = dj_timezone.now()
    if not slot_is_open(schedule=schedule, starts_at=asked.starts_at, duration_minutes=asked.duration_minutes, now=now):
        raise _why_not_open(schedule=schedule, asked=asked)
    rate_amount = bookable.rate_amount
    assert rate_amount is not None  # bookable.refusal covers a missing rate
    price = price_for(rate_amount=rate_amount, duration_minutes=asked.duration_minutes)
    balance = wallet_balance(user=client)
    if balance < price:
        raise InsufficientFunds(
            f"This reading costs ${price}; your wallet holds ${balance}. Add funds to your wallet, then book again."
        )
    reader = schedule.reader
    try:
        with transaction.atomic():
            booking = Booking.objects.create(
                client=client,
                reader_id=asked.reader_id,
                modality=asked.modality,
                duration_minutes=asked.duration_minutes,
                starts_at=asked.starts_at,
                ends_at=asked.starts_at + timedelta(minutes=asked.duration_minutes),
                rate_amount=rate_amount,
                price_amount=price,
                reader_rate=reader_rate(reader),
                policy=dict(CANCELLATION_POLICY),
                client_timezone=client.timezone or "UTC",
                reader_timezone=schedule.timezone,
                intake_note=intake_note,
                idempotency_key=idempotency_key,
                created_at=now,
            )
    except IntegrityError as error:
        if "booking_no_overlap" in str(error):
            raise SlotTaken() from None
        if "booking_idempotency_key_unique" in str(error):
            raise InvalidStateError("This booking is already being made. Please check your bookings.") from None
        raise
    hold_fund(
        subject_type=BOOKING_SUBJECT,
        subject_id=booking.pk,
        payer=client,
        amount=price,
        kind=TransactionKind.BOOKING,
        booking_id=booking.pk,
        actor=client,
        memo=f"Booked reading with {bookable.profile.display_name}",
    )
    audit_log_record(
        actor=client,
        action="scheduling.booking_created",
        target=booking,
        details={
            "reader_id": asked.reader_id,
            "starts_at": booking.starts_at.isoformat(),
            "duration_minutes": booking.duration_minutes,
            "modality": booking.modality,
            "price_amount": str(price),
            "policy_version": CANCELLATION_POLICY["version"],
        },
        request=request,
    )
    booking_event_notify(booking=booking, event=BookingEvent.CREATED)
    return booking


def _why_not_open(*, schedule: ReaderSchedule, asked: BookingRequest) -> InvalidStateError:
    """A booking in the way (with the buffers) means someone was quicker; anything else, the time is not open."""
    rules = schedule_rules(schedule)
    pad = timedelta(minutes=rules.buffer_before_minutes + rules.buffer_after_minutes)
    ends_at = asked.starts_at + timedelta(minutes=asked.duration_minutes)
    clash = Booking.objects.filter(
        reader_id=asked.reader_id,
        status__in=sorted(ACTIVE_BOOKING_STATUSES),
        starts_at__lt=ends_at + pad,
        ends_at__gt=asked.starts_at - pad,
    ).exists()
    return SlotTaken() if clash else SlotUnavailable()
