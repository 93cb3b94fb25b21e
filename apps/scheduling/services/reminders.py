"""Reminders before a booked reading: a day before and 15 minutes before, to both parties (in-app, and by email
for those who want booking emails), each in the recipient's own timezone.

The beat task ``scheduling.reminders_send`` runs every minute. Each reminder is claimed by one conditional
UPDATE of ``reminder_day_sent_at`` / ``reminder_soon_sent_at`` (``... WHERE <stamp> IS NULL RETURNING id``):
when two workers run at once, the second one's UPDATE waits for the first's rows, finds them stamped, and skips
them, so every reminder goes out once. The claim and the notifications commit together; a failure rolls both
back and the next run tries again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from apps.notifications.services import notify

from ..enums import BookingStatus
from ..models import Booking
from ..notify import DAY_REMINDER_AHEAD, REMINDER_KIND, booking_page_path, reminder_message

SOON_REMINDER_AHEAD = timedelta(minutes=15)
# A day reminder held up (the workers were down) is not sent in the last hour: the 15-minute one is enough.
DAY_REMINDER_LATEST = timedelta(hours=1)
REMINDER_BATCH_SIZE = 500

# Due a day ahead: from 24 h until an hour before the start, and only for bookings made at least 24 h before their
# start (a booking made later was just confirmed by email).
_CLAIM_DAY = """
    UPDATE scheduling_booking SET reminder_day_sent_at = %(now)s
    WHERE id IN (
        SELECT id FROM scheduling_booking
        WHERE status = %(status)s AND reminder_day_sent_at IS NULL
          AND starts_at > %(day_closes)s AND starts_at <= %(day_opens)s
          AND created_at + %(day_ahead)s <= starts_at
        ORDER BY starts_at, id
        LIMIT %(limit)s
    )
    AND status = %(status)s AND reminder_day_sent_at IS NULL
    RETURNING id
"""

# Due 15 minutes ahead, until the start.
_CLAIM_SOON = """
    UPDATE scheduling_booking SET reminder_soon_sent_at = %(now)s
    WHERE id IN (
        SELECT id FROM scheduling_booking
        WHERE status = %(status)s AND reminder_soon_sent_at IS NULL
          AND starts_at > %(now)s AND starts_at <= %(soon_opens)s
        ORDER BY starts_at, id
        LIMIT %(limit)s
    )
    AND status = %(status)s AND reminder_soon_sent_at IS NULL
    RETURNING id
"""


@dataclass(frozen=True)
class RemindersSent:
    day: int
    soon: int


def booking_reminders_send(*, now: datetime | None = None, batch_size: int = REMINDER_BATCH_SIZE) -> RemindersSent:
    """Send every due reminder (up to ``batch_size`` of each kind); returns how many bookings were reminded."""
    now = now or timezone.now()
    params = {
        "now": now,
        "status": str(BookingStatus.CONFIRMED),
        "soon_opens": now + SOON_REMINDER_AHEAD,
        "day_opens": now + DAY_REMINDER_AHEAD,
        "day_closes": now + DAY_REMINDER_LATEST,
        "day_ahead": DAY_REMINDER_AHEAD,
        "limit": batch_size,
    }
    with transaction.atomic(durable=True):
        with connection.cursor() as cursor:
            cursor.execute(_CLAIM_DAY, params)
            day_ids = {row[0] for row in cursor.fetchall()}
            cursor.execute(_CLAIM_SOON, params)
            soon_ids = {row[0] for row in cursor.fetchall()}
        bookings = (
            Booking.objects.filter(pk__in=day_ids | soon_ids)
            .select_related("client__reader_profile", "reader__reader_profile")
            .order_by("starts_at", "pk")
        )
        for booking in bookings:  # the two windows do not overlap: a booking is in one of the sets
            _remind(booking=booking, soon=booking.pk in soon_ids)
    return RemindersSent(day=len(day_ids), soon=len(soon_ids))


def _remind(*, booking: Booking, soon: bool) -> None:
    for recipient in (booking.client, booking.reader):
        message = reminder_message(booking=booking, recipient=recipient, soon=soon)
        notify(
            user=recipient,
            kind=REMINDER_KIND,
            title=message.title,
            body=message.body,
            url=booking_page_path(booking=booking, user=recipient),
            email=True,
        )
