"""Cancelling and rescheduling a booking (SPEC §6, issue 11 item 4).

Who cancels decides the refund, read from the policy snapshotted on the booking when it was made:

- the client, at least ``full_refund_before_hours`` (24 h) before the start: 100 %;
- the client, at least ``half_refund_before_hours`` (2 h) before: ``half_refund_share`` (50 %);
- the client, later: nothing back;
- the reader, or an admin: 100 %.

The refund leaves ``hold:booking:<id>`` for the client's wallet (``hold_release``, kind ``booking_refund``); what
the client does not get back is settled at the booking's reader rate (``hold_settle``: 70 % to the reader's
earnings, the rest to the platform), so a cancelled booking's hold ends at exactly zero. Both ledger
transactions carry keys derived from the booking, so a cancel that runs twice moves the money once.

Each write takes the reader's schedule row, then the booking row (``locks.schedule_then_booking_lock``), and
re-checks the booking's state under them; the loser of two cancels racing sees the winner's result.
"""

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.exceptions import InvalidInputError, InvalidStateError, NotFound, PermissionDeniedError
from apps.core.services import audit_log_record
from apps.moderation.guards import write_guard
from apps.readings.enums import EndReason
from apps.readings.services.prepaid import reading_prepaid_end
from apps.wallet.enums import TransactionKind
from apps.wallet.services.holds import hold_release, hold_settle
from apps.wallet.services.ledger import split_reader_share

from ..constants import BOOKING_SUBJECT, FULL, NONE
from ..enums import ACTIVE_BOOKING_STATUSES, BookingEvent, BookingStatus, CancelledBy
from ..locks import schedule_then_booking_lock
from ..models import Booking, ReaderSchedule
from ..notify import booking_event_notify
from ..selectors_slots import schedule_slots, slot_is_open

CENT = Decimal("0.01")

REFUND_FACT = "refund"
CANCEL_SETTLEMENT_FACT = "cancel_settlement"


# --- The refund quote -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RefundQuote:
    """What a cancellation by ``by`` at ``at`` gives back and keeps. ``kept_amount`` is paid out at the
    booking's reader rate: ``reader_share_amount`` to the reader, ``platform_share_amount`` to the platform."""

    by: str
    price_amount: Decimal
    refund_share: Decimal
    refund_amount: Decimal
    kept_amount: Decimal
    reader_share_amount: Decimal
    platform_share_amount: Decimal

    @property
    def refund_percent(self) -> int:
        return int(self.refund_share * 100)


def _policy_hours(booking: Booking, key: str) -> timedelta:
    return timedelta(hours=float(booking.policy[key]))


def booking_refund_share(*, booking: Booking, by: Any, at: datetime) -> Decimal:
    """The share of the price a cancellation by ``by`` (a ``CancelledBy``) at ``at`` refunds, from the booking's
    policy snapshot. The windows include their start: exactly 24 h before is a full refund, exactly 2 h
    before is a half refund."""
    if by in (CancelledBy.READER, CancelledBy.ADMIN):
        return FULL
    if by != CancelledBy.CLIENT:
        raise ValueError(f"Unknown canceller {by!r}.")
    ahead = booking.starts_at - at
    if ahead >= _policy_hours(booking, "full_refund_before_hours"):
        return FULL
    if ahead >= _policy_hours(booking, "half_refund_before_hours"):
        return Decimal(str(booking.policy["half_refund_share"]))
    return NONE


def booking_refund_quote(*, booking: Booking, by: Any, at: datetime) -> RefundQuote:
    """The refund and the reader's share of a cancellation by ``by`` at ``at``. Pure: reads the booking only.

    The refund is the share of the price rounded to the cent (half a cent in the client's favour); the rest is
    split like every reader payment: floor(kept × the booking's reader rate) to the reader, the rest to the
    platform.
    """
    share = booking_refund_share(booking=booking, by=by, at=at)
    refund = (booking.price_amount * share).quantize(CENT, rounding=ROUND_HALF_UP)
    kept = booking.price_amount - refund
    reader_amount, platform_amount = split_reader_share(kept, booking.reader_rate)
    return RefundQuote(
        by=by,
        price_amount=booking.price_amount,
        refund_share=share,
        refund_amount=refund,
        kept_amount=kept,
        reader_share_amount=reader_amount,
        platform_share_amount=platform_amount,
    )


# --- Cancelling ---------------------------------------------------------------------------------------------


def _party_lock(*, booking_id: int, viewer: Any, by: Any) -> Booking:
    """Lock schedule then booking; someone who is not this side of the booking gets "not found"."""
    try:
        _, booking = schedule_then_booking_lock(booking_id=booking_id)
    except Booking.DoesNotExist:
        raise NotFound("No such booking.")
    party_id = booking.client_id if by == CancelledBy.CLIENT else booking.reader_id
    if by != CancelledBy.ADMIN and party_id != viewer.pk:
        raise NotFound("No such booking.")
    return booking


def _already_cancelled(booking: Booking, *, by: Any) -> bool:
    """A repeated cancel by the same side is answered with the first result; anything else that finished the
    booking first is a clear refusal."""
    if booking.status == BookingStatus.CANCELLED and booking.cancelled_by == by:
        return True
    if booking.status not in ACTIVE_BOOKING_STATUSES:
        who = CancelledBy(booking.cancelled_by).label.lower() if booking.cancelled_by else ""
        detail = f" by {who}" if who else ""
        raise InvalidStateError(
            f"This booking is already {booking.get_status_display().lower()}{detail}.", code="booking_finished"
        )
    return False


def _cancel(*, booking: Booking, by: Any, actor: Any, at: datetime, reason: str) -> Booking:
    """Refund and settle the hold, record how the booking ended, audit it and tell the other side.
    Inner helper: the caller holds the transaction and the booking's lock, and checked the state."""
    quote = booking_refund_quote(booking=booking, by=by, at=at)
    hold_release(
        subject_type=BOOKING_SUBJECT,
        subject_id=booking.pk,
        payer=booking.client,
        amount=quote.refund_amount,
        kind=TransactionKind.BOOKING_REFUND,
        fact=REFUND_FACT,
        actor=actor,
        memo=f"Booking #{booking.pk} cancelled by {CancelledBy(by).label.lower()}: {quote.refund_percent}% refund",
        booking_id=booking.pk,
    )
    hold_settle(
        subject_type=BOOKING_SUBJECT,
        subject_id=booking.pk,
        reader=booking.reader,
        expected_amount=quote.kept_amount,
        rate=booking.reader_rate,
        kind=TransactionKind.BOOKING,
        fact=CANCEL_SETTLEMENT_FACT,
        user=booking.client,
        actor=actor,
        memo=f"Booking #{booking.pk}: the part kept on a late cancellation",
        booking_id=booking.pk,
    )
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = at
    booking.cancelled_by = by
    booking.cancel_reason = reason
    booking.finished_at = at
    booking.refund_amount = quote.refund_amount
    booking.reader_share_amount = quote.reader_share_amount
    booking.platform_share_amount = quote.platform_share_amount
    booking.save(
        update_fields=[
            "status",
            "cancelled_at",
            "cancelled_by",
            "cancel_reason",
            "finished_at",
            "refund_amount",
            "reader_share_amount",
            "platform_share_amount",
        ]
    )
    audit_log_record(
        actor=actor,
        action="scheduling.booking_cancelled",
        target=booking,
        details={
            "by": by,
            "reason": reason,
            "price": f"{quote.price_amount:.2f}",
            "refund": f"{quote.refund_amount:.2f}",
            "reader_share": f"{quote.reader_share_amount:.2f}",
            "platform_share": f"{quote.platform_share_amount:.2f}",
            "starts_at": booking.starts_at.isoformat(),
        },
    )
    booking_event_notify(booking=booking, event=BookingEvent.CANCELLED)
    return booking


def _not_started(booking: Booking, at: datetime) -> None:
    if at >= booking.starts_at:
        raise InvalidStateError(
            "This reading has already started, so it can no longer be cancelled.", code="booking_started"
        )


@transaction.atomic(durable=True)
def booking_cancel_by_client(
    *, client: Any, booking_id: int, expected_refund: Decimal | None = None, at: datetime | None = None
) -> Booking:
    """The client cancels before the start; the refund follows the booking's policy (100 %, 50 % or 0 %).

    ``expected_refund`` is the refund the client was shown: if a policy boundary passed since (the page was left
    open), the cancel is refused with the new amount so they confirm again, rather than getting less than shown.
    """
    at = at or timezone.now()
    booking = _party_lock(booking_id=booking_id, viewer=client, by=CancelledBy.CLIENT)
    if _already_cancelled(booking, by=CancelledBy.CLIENT):
        return booking
    _not_started(booking, at)
    quote = booking_refund_quote(booking=booking, by=CancelledBy.CLIENT, at=at)
    if expected_refund is not None and quote.refund_amount != expected_refund:
        raise InvalidStateError(
            f"The refund is now ${quote.refund_amount:.2f} ({quote.refund_percent}%), not ${expected_refund:.2f}: "
            "the start is closer than when the page was opened. Nothing was cancelled; please confirm again.",
            code="refund_changed",
        )
    return _cancel(booking=booking, by=CancelledBy.CLIENT, actor=client, at=at, reason="")


@transaction.atomic(durable=True)
def booking_cancel_by_reader(*, reader: Any, booking_id: int, reason: str = "", at: datetime | None = None) -> Booking:
    """The reader cancels before the start: the client gets everything back."""
    at = at or timezone.now()
    booking = _party_lock(booking_id=booking_id, viewer=reader, by=CancelledBy.READER)
    if _already_cancelled(booking, by=CancelledBy.READER):
        return booking
    _not_started(booking, at)
    return _cancel(booking=booking, by=CancelledBy.READER, actor=reader, at=at, reason=reason.strip()[:500])


def booking_cancel_by_admin(*, admin: Any, booking_id: int, reason: str, at: datetime | None = None) -> Booking:
    """An admin cancels a booking that still holds the reader's time (confirmed, or in progress) with a full
    refund. The reason is required and kept on the booking and in the audit log. A reading already under way
    in the booking's room ends once the refund is committed: nobody reads on for a price given back."""
    booking = _admin_cancel(admin=admin, booking_id=booking_id, reason=reason, at=at)
    # After the booking's commit, never under its locks: the readings app locks a reading first. Its
    # finalization then finds the booking cancelled and moves no money.
    reading_prepaid_end(subject_type=BOOKING_SUBJECT, subject_id=booking.pk, reason=EndReason.BOOKING_CANCELLED)
    return booking


@transaction.atomic(durable=True)
def _admin_cancel(*, admin: Any, booking_id: int, reason: str, at: datetime | None) -> Booking:
    if not getattr(admin, "is_staff", False):
        raise PermissionDeniedError("Only an administrator can do that.")
    reason = reason.strip()
    if not reason:
        raise InvalidInputError("Give the reason for cancelling; the client and the reader are told.", code="reason")
    at = at or timezone.now()
    booking = _party_lock(booking_id=booking_id, viewer=admin, by=CancelledBy.ADMIN)
    if _already_cancelled(booking, by=CancelledBy.ADMIN):
        return booking
    return _cancel(booking=booking, by=CancelledBy.ADMIN, actor=admin, at=at, reason=reason[:500])


# --- Rescheduling ---------------------------------------------------------------------------------------------


def booking_reschedule_refusal(*, booking: Booking, at: datetime) -> str:
    """Why the client may not move this booking now ("" when they may): once, only while it is confirmed and
    in the free window (at least ``full_refund_before_hours`` before its start)."""
    if booking.status != BookingStatus.CONFIRMED:
        return f"This booking is {booking.get_status_display().lower()}; it cannot be moved."
    if booking.reschedule_count >= int(booking.policy.get("reschedules_allowed", 0)):
        return "This booking was moved once already; it cannot be moved again. You can still cancel it."
    hours = booking.policy["full_refund_before_hours"]
    if booking.starts_at - at < _policy_hours(booking, "full_refund_before_hours"):
        return f"A booking can be moved only until {hours} hours before it starts."
    return ""


def _new_time_is_open(*, schedule: ReaderSchedule | None, booking: Booking, starts_at: datetime, at: datetime) -> bool:
    """Whether ``starts_at`` (for the booking's duration) is an open slot of the booking's reader, the booking
    itself set aside: the very rules that list open times on the booking page (``selectors_slots``). The
    exclusion constraint ``booking_no_overlap`` still decides two writers racing for the same time."""
    if schedule is None or not schedule.is_accepting:
        return False
    return slot_is_open(
        schedule=schedule,
        starts_at=starts_at,
        duration_minutes=booking.duration_minutes,
        now=at,
        exclude_booking_id=booking.pk,
    )


def booking_reschedule_options(*, booking: Booking, day: date, zone: str, at: datetime | None = None) -> list[datetime]:
    """The open start times on ``day`` of the viewer's zone ``zone`` the booking could move to (same reader, same
    duration), soonest first. Empty when the booking cannot be moved. A constant number of queries."""
    at = at or timezone.now()
    if booking_reschedule_refusal(booking=booking, at=at):
        return []
    schedule = ReaderSchedule.objects.filter(reader_id=booking.reader_id).first()
    if schedule is None or not schedule.is_accepting:
        return []
    local_zone = zoneinfo.ZoneInfo(zone)
    day_start = datetime.combine(day, datetime.min.time(), tzinfo=local_zone)
    day_end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=local_zone)
    starts = schedule_slots(
        schedule=schedule,
        duration_minutes=booking.duration_minutes,
        range_start=day_start,
        range_end=day_end,
        now=at,
        exclude_booking_id=booking.pk,
    )
    return [start for start in starts if start != booking.starts_at]


TAKEN_MESSAGE = "That time is not open any more. Please pick another one."


@transaction.atomic(durable=True)
def booking_reschedule(*, client: Any, booking_id: int, starts_at: datetime, at: datetime | None = None) -> Booking:
    """The client moves a confirmed booking to another open time of the same reader, same duration and price.

    Allowed once, only in the free window (SPEC §6: at least 24 h before the current start). The new time must
    be open (``_new_time_is_open``); if another booking takes it first the exclusion constraint refuses and
    nothing changes. The calendar invite's sequence goes up and the reminders are due again.
    """
    at = at or timezone.now()
    if timezone.is_naive(starts_at):
        raise InvalidInputError("The new time must carry its timezone.")
    try:
        schedule, booking = schedule_then_booking_lock(booking_id=booking_id)
    except Booking.DoesNotExist:
        raise NotFound("No such booking.")
    if booking.client_id != client.pk:
        raise NotFound("No such booking.")
    write_guard(client)
    refusal = booking_reschedule_refusal(booking=booking, at=at)
    if refusal:
        raise InvalidStateError(refusal, code="reschedule_refused")
    if starts_at == booking.starts_at:
        raise InvalidInputError("That is the time already booked. Pick another one.", code="same_time")
    ends_at = starts_at + timedelta(minutes=booking.duration_minutes)
    if not _new_time_is_open(schedule=schedule, booking=booking, starts_at=starts_at, at=at):
        raise InvalidStateError(TAKEN_MESSAGE, code="slot_taken")
    previous = booking.starts_at
    booking.starts_at, booking.ends_at = starts_at, ends_at
    booking.reschedule_count += 1
    try:
        with transaction.atomic():
            booking.save(
                update_fields=[
                    "starts_at",
                    "ends_at",
                    "reschedule_count",
                ]
            )
    except IntegrityError as error:
        if "booking_no_overlap" not in str(error):
            raise
        raise InvalidStateError(TAKEN_MESSAGE, code="slot_taken")
    audit_log_record(
        actor=client,
        action="scheduling.booking_rescheduled",
        target=booking,
        details={"from": previous.isoformat(), "to": starts_at.isoformat(), "count": booking.reschedule_count},
    )
    # The calendar invites' sequence goes up and the reminders follow the new time (notify.py).
    booking_event_notify(booking=booking, event=BookingEvent.RESCHEDULED)
    return booking
