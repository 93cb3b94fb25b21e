"""Calendar invites of bookings (iCalendar, RFC 5545, with the iTIP methods of RFC 5546).

Every version of a booking's event has the same UID (``booking-<id>@<site domain>``) and the SEQUENCE of
``booking.ics_sequence``, which ``notify.booking_event_notify`` raises on every reschedule and cancel; calendar
apps then replace the event they hold instead of adding a second one. A booking is REQUESTed when it is made
and when it moves, and CANCELled when it is cancelled. Instants are written in UTC, so no VTIMEZONE is needed
and every calendar shows them in its own zone.

Each party gets an invite of their own: the ORGANIZER is the platform's mailbox and the only ATTENDEE is the
recipient, so neither side learns the other's email address (clients and readers only know each other's names).
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parseaddr
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress

from .enums import BookingStatus, Modality
from .models import Booking

PRODID = "-//SoulSeer//Scheduled readings//EN"


class IcsMethod(StrEnum):
    REQUEST = "REQUEST"  # add the event, or replace the version a calendar holds
    CANCEL = "CANCEL"


def booking_ics_uid(booking: Booking) -> str:
    """The event's identity in every calendar, the same for both parties and every version."""
    return f"booking-{booking.pk}@{urlsplit(settings.SITE_URL).hostname or 'localhost'}"


def party_name(user: Any) -> str:
    """How a party is named to the other: a reader by their profile's display name, a client by their own."""
    profile = getattr(user, "reader_profile", None)
    return (profile.display_name if profile is not None else "") or user.public_name


def booking_ics(*, booking: Booking, recipient: Any, method: IcsMethod, link: str, now: datetime | None = None) -> str:
    """The iCalendar file that puts ``booking`` into ``recipient``'s calendar (one of its two parties).

    ``link`` is the absolute address of the booking's page (where joining opens). Returns the file's text.
    """
    if recipient.pk not in (booking.client_id, booking.reader_id):
        raise ValueError("An invite is only for the booking's client or reader.")
    is_client = recipient.pk == booking.client_id
    other = booking.reader if is_client else booking.client
    modality = Modality(booking.modality).label.lower()
    summary = f"{modality.capitalize()} reading with {party_name(other)} ({settings.SITE_NAME})"

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method.value)

    event = Event()
    event.add("uid", booking_ics_uid(booking))
    event.add("sequence", booking.ics_sequence)
    event.add("dtstamp", (now or timezone.now()).astimezone(UTC))
    event.add("dtstart", booking.starts_at.astimezone(UTC))
    event.add("dtend", booking.ends_at.astimezone(UTC))
    event.add("summary", summary)
    event.add("description", _description(booking=booking, other=other, modality=modality, link=link))
    event.add("location", link)
    event.add("url", link)
    cancelled = method == IcsMethod.CANCEL or booking.status == BookingStatus.CANCELLED
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
    event.add("organizer", _organizer(), encode=False)
    event.add("attendee", _attendee(recipient), encode=False)
    calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")


def _description(*, booking: Booking, other: Any, modality: str, link: str) -> str:
    lines = [
        f"A {booking.duration_minutes}-minute {modality} reading with {party_name(other)} on {settings.SITE_NAME}.",
        f"Join it on {settings.SITE_NAME} when it starts: {link}",
    ]
    if booking.status == BookingStatus.CANCELLED:
        lines = [f"This {modality} reading with {party_name(other)} was cancelled.", f"Your bookings: {link}"]
    return "\n".join(lines)


def _organizer() -> vCalAddress:
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    organizer = vCalAddress(f"mailto:{address}")
    organizer.params["cn"] = name or settings.SITE_NAME
    return organizer


def _attendee(user: Any) -> vCalAddress:
    attendee = vCalAddress(f"mailto:{user.email}")
    attendee.params["cn"] = party_name(user)
    attendee.params["role"] = "REQ-PARTICIPANT"
    # Already accepted (they booked, or were booked): calendars show no Yes/No buttons that would mail our sender.
    attendee.params["partstat"] = "ACCEPTED"
    attendee.params["rsvp"] = "FALSE"
    return attendee
