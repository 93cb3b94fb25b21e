"""The booked reading itself: joining the room, no-shows, and the flat-rate settlement (SPEC §6, issue 11 §4-5).

- ``booking_join``: either party, from ``JOIN_OPENS_BEFORE`` before the start until the booked end, opens (or
  reuses) the booking's room, a prepaid reading of the readings app (``reading_open_prepaid``), and is recorded
  as joined; the booking moves to ``in_progress``. A side that has not joined ``NO_SHOW_AFTER_MINUTES`` after the
  start cannot join any more: it missed the reading.
- The room is the one of on-demand readings (chat, voice or video as booked; the same presence rules), billed
  flat: nothing is charged by the minute. When it ends (a party ends it, or the booked time is over), the
  readings app calls ``booking_reading_finished`` back, which settles the hold: floor(price × the snapshotted
  reader rate) to the reader, the rest to the platform, and the hold ends at exactly zero.
- ``booking_no_show_sweep`` (beat task ``scheduling.no_show_sweep``): a side not joined 10 minutes after the
  start is a no-show. The reader missing (or both) → full refund, counted on the reader's record; the client
  missing → the price settles to the reader. It also completes bookings whose time ran out with no reading in
  progress. Safe on several workers (``SKIP LOCKED``, state re-checked under the lock, ledger keys).

Money keys: ``booking:<id>:settlement`` (``hold_settle``) and ``booking:<id>:refund`` (``hold_release``). A
booking ends once (status re-checked under its lock), so each key is posted at most once. Every change is
audited with its actor (None for the periodic job and the readings app's callback).
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from apps.core.exceptions import DomainError, InvalidStateError, NotFound
from apps.core.services import audit_log_record
from apps.readings.enums import EndReason
from apps.readings.prepaid import PrepaidOutcome, PrepaidReadingFinished
from apps.readings.selectors import prepaid_reading_status
from apps.readings.services.prepaid import CounterpartInAnotherReading, reading_open_prepaid, reading_prepaid_end
from apps.scheduling.constants import BOOKING_SUBJECT, NO_SHOW_AFTER_MINUTES
from apps.scheduling.enums import ACTIVE_BOOKING_STATUSES, BookingEvent, BookingStatus, NoShowParty
from apps.scheduling.locks import attendance_booking_lock
from apps.scheduling.models import Booking
from apps.scheduling.notify import booking_event_notify
from apps.wallet.enums import TransactionKind
from apps.wallet.services.holds import hold_find, hold_release, hold_settle

logger = logging.getLogger(__name__)

# Joining opens this long before the start, so both sides can settle in; the booked end stays the end.
JOIN_OPENS_BEFORE = timedelta(minutes=5)
NO_SHOW_AFTER = timedelta(minutes=NO_SHOW_AFTER_MINUTES)
SWEEP_BATCH_SIZE = 500
ZERO = Decimal("0.00")


class BookingNotFound(NotFound):
    default_message = "This booking does not exist."


class JoinRefused(InvalidStateError):
    default_message = "You cannot join this reading now."


class BookingHoldNotEmpty(DomainError):
    default_message = "The booking's hold is not empty after its refund."


@dataclass(frozen=True)
class JoinResult:
    """Where the joining party goes: the room (``url``), or nowhere yet, with ``message`` saying why."""

    url: str | None
    message: str = ""


def join_opens_at(booking: Booking) -> datetime:
    return booking.starts_at - JOIN_OPENS_BEFORE


def join_closes_at(booking: Booking, *, role: str) -> datetime:
    """Until when ``role`` ("client" or "reader") may join: the booked end once they joined, else the no-show
    cut-off, 10 minutes after the start."""
    if getattr(booking, f"{role}_joined_at") is not None:
        return booking.ends_at
    return min(booking.ends_at, booking.starts_at + NO_SHOW_AFTER)


def party_role(booking: Booking, user: Any) -> str | None:
    user_id = getattr(user, "pk", None)
    if user_id is None:
        return None
    return "client" if user_id == booking.client_id else "reader" if user_id == booking.reader_id else None


FINISHED_MESSAGES = {
    BookingStatus.CANCELLED: "This booking was cancelled.",
    BookingStatus.NO_SHOW: "This booked reading was missed: a side did not join within 10 minutes of the start.",
    BookingStatus.COMPLETED: "This booked reading is over.",
}


def join_refusal(booking: Booking, *, role: str, now: datetime) -> str | None:
    """Why ``role`` cannot join ``booking`` at ``now``, or None when they can (the booking page shows it too)."""
    if booking.status not in ACTIVE_BOOKING_STATUSES:
        return FINISHED_MESSAGES.get(BookingStatus(booking.status), "This booking is over.")
    if now < join_opens_at(booking):
        return "Joining opens 5 minutes before the start."
    if now >= booking.ends_at:
        return "The booked time is over."
    if now >= join_closes_at(booking, role=role):
        return f"Joining closed {NO_SHOW_AFTER_MINUTES} minutes after the start."
    return None


@transaction.atomic(durable=True)
def booking_join(*, booking_id: int, user: Any, now: datetime | None = None) -> JoinResult:
    """``user``, a party of the booking, joins its reading: the room opens (or is reused) and their arrival is
    recorded (``client_joined_at`` / ``reader_joined_at``, the first time), the booking goes ``in_progress``.

    ``BookingNotFound`` for anyone else; ``JoinRefused`` outside the join window or once the booking is over
    (a completed booking sends its parties to the reading's summary instead); a party in another reading is
    refused with a message saying so (the readings app's one-live-reading rule), nothing written. A reader
    arriving while the client is still in an on-demand reading is recorded as arrived, and told to try again.
    """
    now = now or timezone.now()
    booking = attendance_booking_lock(booking_id=booking_id)
    role = party_role(booking, user) if booking is not None else None
    if booking is None or role is None:
        raise BookingNotFound()
    if booking.status == BookingStatus.COMPLETED and booking.reading_id is not None:
        return JoinResult(url=reverse("readings:summary", kwargs={"pk": booking.reading_id}))
    refusal = join_refusal(booking, role=role, now=now)
    if refusal:
        raise JoinRefused(refusal)
    try:
        reading = reading_open_prepaid(
            client=booking.client,
            reader=booking.reader,
            modality=booking.modality,
            ends_at=booking.ends_at,
            subject_type=BOOKING_SUBJECT,
            subject_id=booking.pk,
            amount=booking.price_amount,
            rate_amount=booking.rate_amount,
            reader_rate=booking.reader_rate,
            joining=user,
            intake_note=booking.intake_note,
        )
    except CounterpartInAnotherReading as busy:
        _record_arrival(booking=booking, role=role, user=user, now=now, reading_id=None)
        return JoinResult(url=None, message=busy.message)
    _record_arrival(booking=booking, role=role, user=user, now=now, reading_id=reading.pk)
    return JoinResult(url=reverse("readings:room", kwargs={"pk": reading.pk}))


def _record_arrival(*, booking: Booking, role: str, user: Any, now: datetime, reading_id: int | None) -> None:
    """Inner helper of ``booking_join`` (booking locked): the first arrival of a side, the room, the status."""
    fields = []
    joined_field = f"{role}_joined_at"
    if getattr(booking, joined_field) is None:
        setattr(booking, joined_field, now)
        fields.append(joined_field)
    if booking.status == BookingStatus.CONFIRMED:
        booking.status = BookingStatus.IN_PROGRESS
        fields.append("status")
    if reading_id is not None and booking.reading_id != reading_id:
        booking.reading_id = reading_id
        fields.append("reading_id")
    if not fields:
        return
    booking.save(update_fields=fields)
    audit_log_record(
        actor=user,
        action="scheduling.booking_joined",
        target=booking,
        details={"side": role, "reading_id": reading_id, "first_arrival": joined_field in fields},
    )


# --- Settlement -------------------------------------------------------------------------------------------


def _settle(*, booking: Booking, status: Any, now: datetime, reason: str, no_show_party: Any = "") -> None:
    """Pay the whole hold out: floor(price × the booking's reader rate) to the reader, the rest to the platform;
    the hold must hold exactly the price and ends at exactly zero (``hold_settle``). Inner helper: the caller
    holds the transaction and the booking's lock, and checked the booking is not finished."""
    settled = hold_settle(
        subject_type=BOOKING_SUBJECT,
        subject_id=booking.pk,
        reader=booking.reader,
        expected_amount=booking.price_amount,
        rate=booking.reader_rate,
        kind=TransactionKind.BOOKING,
        memo=f"Booked reading #{booking.pk} settlement",
    )
    booking.status = status
    booking.no_show_party = no_show_party
    booking.finished_at = now
    booking.refund_amount = ZERO
    booking.reader_share_amount = settled.reader_amount
    booking.platform_share_amount = settled.platform_amount
    booking.save(
        update_fields=[
            "status",
            "no_show_party",
            "finished_at",
            "refund_amount",
            "reader_share_amount",
            "platform_share_amount",
        ]
    )
    audit_log_record(
        actor=None,
        action="scheduling.booking_completed" if status == BookingStatus.COMPLETED else "scheduling.booking_no_show",
        target=booking,
        details={
            "reason": reason,
            "no_show_party": no_show_party,
            "amount": f"{settled.amount:.2f}",
            "reader_share": f"{settled.reader_amount:.2f}",
            "platform_share": f"{settled.platform_amount:.2f}",
            "transaction_id": settled.transaction.pk if settled.transaction else None,
        },
    )
    booking_event_notify(
        booking=booking, event=BookingEvent.COMPLETED if status == BookingStatus.COMPLETED else BookingEvent.NO_SHOW
    )


def _refund_reader_no_show(*, booking: Booking, now: datetime, no_show_party: Any) -> None:
    """The reader did not come (or neither side did): the whole price back to the client's wallet, and the
    booking counts as the reader's no-show. Inner helper: the caller holds the transaction and the lock."""
    txn = hold_release(
        subject_type=BOOKING_SUBJECT,
        subject_id=booking.pk,
        payer=booking.client,
        amount=booking.price_amount,
        kind=TransactionKind.BOOKING_REFUND,
        fact="refund",
        memo=f"Booked reading #{booking.pk}: the reader did not join, full refund",
    )
    hold = hold_find(BOOKING_SUBJECT, booking.pk)
    if hold is not None and hold.balance != 0:
        raise BookingHoldNotEmpty(f"The hold {hold.code} still holds {hold.balance} after the refund.")
    booking.status = BookingStatus.NO_SHOW
    booking.no_show_party = no_show_party
    booking.finished_at = now
    booking.refund_amount = booking.price_amount
    booking.reader_share_amount = ZERO
    booking.platform_share_amount = ZERO
    booking.save(
        update_fields=[
            "status",
            "no_show_party",
            "finished_at",
            "refund_amount",
            "reader_share_amount",
            "platform_share_amount",
        ]
    )
    audit_log_record(
        actor=None,
        action="scheduling.booking_no_show",
        target=booking,
        details={
            "no_show_party": no_show_party,
            "reader_id": booking.reader_id,
            "refund": f"{booking.price_amount:.2f}",
            "transaction_id": txn.pk if txn else None,
        },
    )
    booking_event_notify(booking=booking, event=BookingEvent.NO_SHOW)


@transaction.atomic(durable=True)
def booking_settle(*, booking_id: int, now: datetime | None = None) -> Booking:
    """Complete a booking whose reading took place (or whose time ran out with both sides joined): the hold
    settles to the reader and the platform. Settling a finished booking changes nothing."""
    now = now or timezone.now()
    booking = attendance_booking_lock(booking_id=booking_id)
    if booking is None:
        raise BookingNotFound()
    if booking.status in ACTIVE_BOOKING_STATUSES:
        _settle(booking=booking, status=BookingStatus.COMPLETED, now=now, reason="settled")
    return booking


def outcome_of(booking: Booking) -> PrepaidOutcome:
    """What the booking's reading cost in the end, as the reading's summary shows it."""
    if booking.status in ACTIVE_BOOKING_STATUSES:
        return PrepaidOutcome(ZERO, ZERO, ZERO, note="settled with the booking once it is over")
    refund = booking.refund_amount or ZERO
    note = "" if refund == 0 else "refunded in full" if refund == booking.price_amount else f"{refund} refunded"
    return PrepaidOutcome(
        amount=booking.price_amount - refund,
        reader_amount=booking.reader_share_amount or ZERO,
        platform_amount=booking.platform_share_amount or ZERO,
        note=note,
    )


def booking_reading_finished(*, reading: PrepaidReadingFinished) -> PrepaidOutcome:
    """The readings app's callback (``prepaid_subject_register`` in ``apps.py``) when a booking's reading is
    finalized. A reading both sides were in settles the booking (completed); one that never started leaves the
    booking to the no-show rules. Idempotent. Inner helper: runs inside the readings app's transaction, which
    holds the reading's lock; this locks the schedule and the booking after it, never a reading."""
    booking = attendance_booking_lock(booking_id=reading.subject_id)
    if booking is None:
        raise LookupError(f"Reading #{reading.reading_id} names booking {reading.subject_id}, which does not exist.")
    if booking.status in ACTIVE_BOOKING_STATUSES and reading.became_active:
        _settle(booking=booking, status=BookingStatus.COMPLETED, now=timezone.now(), reason="reading_ended")
    return outcome_of(booking)


# --- The no-show sweep ------------------------------------------------------------------------------------


@dataclass
class SweepResult:
    reader_no_shows: int = 0
    client_no_shows: int = 0
    completed: int = 0
    readings_ended: int = 0
    skipped: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def _due(now: datetime) -> Any:
    """Bookings the sweep must decide: a side missing 10 minutes after the start, or the booked time over."""
    missing = Q(client_joined_at__isnull=True) | Q(reader_joined_at__isnull=True)
    return Booking.objects.filter(status__in=sorted(ACTIVE_BOOKING_STATUSES)).filter(
        Q(starts_at__lte=now - NO_SHOW_AFTER) & missing | Q(ends_at__lte=now)
    )


def booking_no_show_sweep(*, now: datetime | None = None, batch_size: int = SWEEP_BATCH_SIZE) -> SweepResult:
    """Decide every booking that is due (one statement finds them), each in a transaction of its own under its
    locks (``SKIP LOCKED``: another worker's booking is left to it), state re-checked after locking:

    - a side not joined 10 minutes after the start, and no reading of the booking ever started: the reader
      missing (or both) → full refund, counted on the reader's record; only the client missing → the price
      settles to the reader; a room left open for the side that came is then closed;
    - the booked time over with both joined: completed and settled, unless its reading is still in progress
      (the readings app ends it at the booked end and settles it through ``booking_reading_finished``).
    Running it twice, or on two workers at once, settles each booking once."""
    now = now or timezone.now()
    result = SweepResult()
    ids = list(_due(now).order_by("starts_at", "pk").values_list("pk", flat=True)[:batch_size])
    for booking_id in ids:
        try:
            decided = _sweep_one(booking_id=booking_id, now=now)
        except (OperationalError, InterfaceError):
            raise  # the database itself is in trouble: the task retries the whole sweep
        except Exception as error:  # this booking's own problem (a hold that does not match): the others go on
            logger.error("booking %s could not be settled: %s", booking_id, error, exc_info=True)
            result.failed.append(booking_id)
            continue
        if decided is None:
            result.skipped.append(booking_id)
            continue
        if decided == "completed":
            result.completed += 1
            continue
        if decided == NoShowParty.CLIENT:
            result.client_no_shows += 1
        else:
            result.reader_no_shows += 1
        # After the booking's commit, never under its locks: the readings app locks a reading first.
        if reading_prepaid_end(subject_type=BOOKING_SUBJECT, subject_id=booking_id, reason=EndReason.NO_SHOW):
            result.readings_ended += 1
    return result


@transaction.atomic(durable=True)
def _sweep_one(*, booking_id: int, now: datetime) -> Any:
    """One due booking: what was decided ("completed", or the no-show party), or None when nothing was done."""
    booking = attendance_booking_lock(booking_id=booking_id, skip_locked=True)
    if booking is None or booking.status not in ACTIVE_BOOKING_STATUSES:
        return None
    reading = prepaid_reading_status(subject_type=BOOKING_SUBJECT, subject_ids=[booking.pk]).get(booking.pk)
    started = reading is not None and reading.became_active
    client_missing = booking.client_joined_at is None
    reader_missing = booking.reader_joined_at is None
    if now >= booking.starts_at + NO_SHOW_AFTER and (client_missing or reader_missing) and not started:
        if reader_missing:
            party = NoShowParty.BOTH if client_missing else NoShowParty.READER
            _refund_reader_no_show(booking=booking, now=now, no_show_party=party)
            return party
        _settle(
            booking=booking,
            status=BookingStatus.NO_SHOW,
            now=now,
            reason="client_no_show",
            no_show_party=NoShowParty.CLIENT,
        )
        return NoShowParty.CLIENT
    if now >= booking.ends_at and not (reading is not None and reading.is_live):
        _settle(booking=booking, status=BookingStatus.COMPLETED, now=now, reason="booked_time_over")
        return "completed"
    return None
