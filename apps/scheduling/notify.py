"""What the two parties of a booking are told when it changes, each in their own timezone.

``booking_event_notify(booking=..., event=...)`` is the one entry point the booking services call, inside their
transaction, after saving the change: an in-app notification to the client and to the reader, and for the
changes a calendar must follow (booked, moved, cancelled) an email with the calendar invite (``ics.py``) to each
side that wants booking emails (the "readings and bookings" preference). The emails go through the outbox
(handler ``scheduling.booking_invite_send`` in ``outbox_handlers.py``), so they leave only if the change commits
and are never lost. Reminders before the start are ``services/reminders.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from apps.core.outbox import outbox_enqueue
from apps.notifications.registry import notification_kind_register
from apps.notifications.services import notification_wants_email, notify
from apps.wallet.templatetags.wallet_money import usd

from .constants import NO_SHOW_AFTER_MINUTES
from .enums import BookingEvent, CancelledBy, Modality, NoShowParty
from .ics import IcsMethod, party_name
from .models import Booking, BookingInvite

KINDS: dict[Any, str] = {
    BookingEvent.CREATED: notification_kind_register("scheduling.created", label="A reading was booked"),
    BookingEvent.RESCHEDULED: notification_kind_register("scheduling.rescheduled", label="A booked reading moved"),
    BookingEvent.CANCELLED: notification_kind_register("scheduling.cancelled", label="A booked reading was cancelled"),
    BookingEvent.NO_SHOW: notification_kind_register("scheduling.no_show", label="A booked reading was missed"),
    BookingEvent.COMPLETED: notification_kind_register("scheduling.completed", label="A booked reading is complete"),
}
REMINDER_KIND = notification_kind_register("scheduling.reminder", label="A booked reading is coming up")

# The changes a calendar must follow, and the iTIP method of their invite.
INVITE_METHODS: dict[Any, IcsMethod] = {
    BookingEvent.CREATED: IcsMethod.REQUEST,
    BookingEvent.RESCHEDULED: IcsMethod.REQUEST,
    BookingEvent.CANCELLED: IcsMethod.CANCEL,
}
INVITE_HANDLER = "scheduling.booking_invite_send"

# A booking (or a move) this close to its start is told about by its own email: no "tomorrow" reminder follows.
DAY_REMINDER_AHEAD = timedelta(hours=24)


@dataclass(frozen=True)
class Message:
    """A title, the booking's time in the recipient's zone, and what happened for them."""

    title: str
    when: str
    text: str

    @property
    def body(self) -> str:
        return f"{self.when}.\n{self.text}"  # one line per part in emails, a sentence each in the list


def booking_page_path(*, booking: Booking, user: Any) -> str:
    """Where a party finds the booking, joins it, moves or cancels it: the booking's own page."""
    return reverse("scheduling_manage:detail", kwargs={"pk": booking.pk})


def local_time(at: datetime, tz_name: str) -> datetime:
    return at.astimezone(ZoneInfo(tz_name))


def when_text(*, starts_at: datetime, ends_at: datetime, tz_name: str) -> str:
    """``Tuesday 8 December 2026, 15:00–15:30 GMT (Europe/London)``: a booking's time in one zone."""
    start, end = local_time(starts_at, tz_name), local_time(ends_at, tz_name)
    day = f"{start:%A} {start.day} {start:%B %Y}"
    end_day = "" if end.date() == start.date() else f"{end:%a} {end.day} {end:%b} "
    return f"{day}, {start:%H:%M}–{end_day}{end:%H:%M} {end:%Z} ({tz_name})"


def short_when(at: datetime, tz_name: str) -> str:
    """``Tue 8 Dec, 15:00 GMT``: a start for a title."""
    local = local_time(at, tz_name)
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M} {local:%Z}"


def booking_event_notify(*, booking: Booking, event: Any) -> None:
    """Tell both parties that ``booking`` was created, rescheduled, cancelled, missed or completed.

    Inner helper: the caller holds the transaction (and the booking's lock) and has saved the change (new
    times, status, refund and shares) on ``booking``. A reschedule or a cancel raises ``booking.ics_sequence``
    here, so the invites it sends replace the event in calendar apps; a reschedule also re-arms the reminders.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("booking_event_notify must run inside the caller's transaction.")
    if event not in BookingEvent.values:
        raise ValueError(f"Unknown booking event {event!r}.")
    if event in (BookingEvent.RESCHEDULED, BookingEvent.CANCELLED):
        _version_raise(booking=booking, event=event)
    kind = KINDS[event]
    for recipient in (booking.client, booking.reader):
        message = booking_message(booking=booking, event=event, recipient=recipient)
        notify(
            user=recipient,
            kind=kind,
            title=message.title,
            body=message.body,
            url=booking_page_path(booking=booking, user=recipient),
            # A missed reading moves money (a refund, or the reader's pay): worth an email of its own.
            email=event == BookingEvent.NO_SHOW,
        )
        if event in INVITE_METHODS and recipient.is_active and notification_wants_email(user=recipient, kind=kind):
            _invite_enqueue(booking=booking, event=event, recipient=recipient)


def _version_raise(*, booking: Booking, event: Any) -> None:
    now = timezone.now()
    changes: dict[str, Any] = {"ics_sequence": F("ics_sequence") + 1}
    if event == BookingEvent.RESCHEDULED:
        # Reminders follow the new time; a move to less than a day ahead was just told by email, like a booking
        # made less than a day ahead, so its "tomorrow" reminder counts as given.
        changes["reminder_soon_sent_at"] = None
        changes["reminder_day_sent_at"] = now if booking.starts_at - now < DAY_REMINDER_AHEAD else None
    Booking.objects.filter(pk=booking.pk).update(**changes)
    booking.refresh_from_db(fields=["ics_sequence", "reminder_day_sent_at", "reminder_soon_sent_at"])


def _invite_enqueue(*, booking: Booking, event: str, recipient: Any) -> None:
    invite, _ = BookingInvite.objects.get_or_create(
        booking=booking, recipient=recipient, sequence=booking.ics_sequence, defaults={"event": event}
    )
    outbox_enqueue(
        name=INVITE_HANDLER,
        kwargs={"invite_id": invite.pk},
        dedupe_key=f"booking:{booking.pk}:{event}:{booking.ics_sequence}:{recipient.pk}",
    )


def booking_message(*, booking: Booking, event: str, recipient: Any) -> Message:
    """The title and lines that tell ``recipient`` (the client or the reader) about ``event``, with times in
    their own timezone and the money that moved for them."""
    is_client = recipient.pk == booking.client_id
    other = party_name(booking.reader if is_client else booking.client)
    tz_name = recipient.timezone
    when = when_text(starts_at=booking.starts_at, ends_at=booking.ends_at, tz_name=tz_name)
    start = short_when(booking.starts_at, tz_name)
    modality = Modality(booking.modality).label.lower()
    reading = f"{booking.duration_minutes}-minute {modality} reading"
    price = usd(booking.price_amount)

    if event == BookingEvent.CREATED:
        if is_client:
            full_hours = booking.policy.get("full_refund_before_hours")
            policy = f" Cancel at least {full_hours} hours before the start for a full refund." if full_hours else ""
            return Message(
                f"Booked: your reading with {other} on {start}",
                when,
                f"A {reading}. {price} is held from your wallet until the reading.{policy}",
            )
        return Message(
            f"New booking: {other} on {start}",
            when,
            f"A {reading}. The client has paid {price}, held until the reading.",
        )
    if event == BookingEvent.RESCHEDULED:
        return Message(
            f"Moved: your reading with {other} is now on {start}",
            when,
            f"The {reading} has a new time; the old one is free again.",
        )
    if event == BookingEvent.CANCELLED:
        return Message(f"Cancelled: your reading with {other} on {start}", when, _cancelled_line(booking, is_client))
    if event == BookingEvent.NO_SHOW:
        return _no_show_message(booking=booking, is_client=is_client, other=other, when=when)
    share = booking.reader_share_amount
    if is_client:
        return Message(f"Your reading with {other} is complete", when, f"The {reading} is complete: {price} paid.")
    earned = f"You earned {usd(share)}." if share is not None else "Your share is on its way to your balance."
    return Message(f"Booked reading with {other} complete", when, f"The {reading} is complete. {earned}")


def _cancelled_line(booking: Booking, is_client: bool) -> str:
    client, reader = party_name(booking.client), party_name(booking.reader)
    refund = booking.refund_amount
    reason = (
        f" ({booking.cancel_reason})" if booking.cancel_reason and booking.cancelled_by == CancelledBy.READER else ""
    )
    who = {
        CancelledBy.CLIENT: "You cancelled it." if is_client else f"{client} cancelled it.",
        CancelledBy.READER: "You cancelled it." if not is_client else f"{reader} cancelled it{reason}.",
        CancelledBy.ADMIN: "An administrator cancelled it.",
    }.get(booking.cancelled_by, "It was cancelled.")
    if is_client:
        if refund is None:
            return who
        if refund == booking.price_amount:
            return f"{who} The full {usd(refund)} is back in your wallet."
        if refund:
            return f"{who} {usd(refund)} of the {usd(booking.price_amount)} is back in your wallet, as the policy says."
        return f"{who} No refund: it was cancelled too close to the start, as the policy says."
    share = booking.reader_share_amount
    if share:
        return f"{who} You receive {usd(share)} under the cancellation policy."
    if refund == booking.price_amount:
        return f"{who} The client was refunded in full."
    return who


def _no_show_message(*, booking: Booking, is_client: bool, other: str, when: str) -> Message:
    reader_missed = booking.no_show_party in (NoShowParty.READER, NoShowParty.BOTH)
    refund, share = booking.refund_amount, booking.reader_share_amount
    if reader_missed and is_client:
        back = f"The full {usd(refund)} is back in your wallet." if refund is not None else "You are refunded in full."
        if booking.no_show_party == NoShowParty.BOTH:
            return Message(f"Missed: your reading with {other}", when, f"Neither of you joined in time. {back}")
        return Message(f"{other} did not join your reading", when, f"We are sorry. {back}")
    if reader_missed:
        return Message(
            f"Missed: your booked reading with {other}",
            when,
            f"You did not join within {NO_SHOW_AFTER_MINUTES} minutes of the start. The client was refunded in "
            "full, and the missed reading counts on your record.",
        )
    if is_client:
        return Message(
            f"Missed: your reading with {other}",
            when,
            f"You did not join within {NO_SHOW_AFTER_MINUTES} minutes of the start; as the cancellation policy "
            "says, the price is paid to the reader.",
        )
    earned = f" You earned {usd(share)}." if share is not None else ""
    return Message(f"{other} did not join your reading", when, f"The client did not join in time.{earned}")


def reminder_message(*, booking: Booking, recipient: Any, soon: bool) -> Message:
    """A reminder a day (or 15 minutes) before the start, in ``recipient``'s timezone."""
    is_client = recipient.pk == booking.client_id
    other = party_name(booking.reader if is_client else booking.client)
    tz_name = recipient.timezone
    when = when_text(starts_at=booking.starts_at, ends_at=booking.ends_at, tz_name=tz_name)
    modality = Modality(booking.modality).label.lower()
    if soon:
        local = local_time(booking.starts_at, tz_name)
        return Message(
            f"Starting soon: your reading with {other} at {local:%H:%M} {local:%Z}",
            when,
            f"Your {modality} reading starts soon. Join it on {settings.SITE_NAME} at the start time.",
        )
    return Message(
        f"Reminder: your reading with {other} on {short_when(booking.starts_at, tz_name)}",
        when,
        f"Your {booking.duration_minutes}-minute {modality} reading is coming up.",
    )
