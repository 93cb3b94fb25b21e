"""Outbox handlers of scheduled readings (imported by ``SchedulingConfig.ready``)."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from apps.core.emails import email_send, site_link
from apps.core.outbox import outbox_handler

from .enums import ACTIVE_BOOKING_STATUSES, BookingEvent, Modality
from .ics import booking_ics
from .models import BookingInvite
from .notify import INVITE_HANDLER, INVITE_METHODS, booking_message, booking_page_path, when_text


@outbox_handler(INVITE_HANDLER)
def booking_invite_send(*, invite_id: int) -> bool:
    """Email one party the calendar invite of one version of their booking; returns whether this call sent it.

    Idempotent: an invite already sent (or skipped) is not sent again. An invite that a later version superseded
    before it left is skipped, so nobody reads an old time after a newer one (calendars would ignore it anyway:
    its SEQUENCE is lower). Marked sent only after the mail server took it; a failure raises and the outbox
    retries with backoff.
    """
    invite = (
        BookingInvite.objects.select_related(
            "recipient", "booking__client__reader_profile", "booking__reader__reader_profile"
        )
        .filter(pk=invite_id, sent_at__isnull=True, skipped_reason="")
        .first()
    )
    if invite is None:
        return False
    booking, recipient = invite.booking, invite.recipient
    skipped = ""
    if invite.sequence < booking.ics_sequence:
        skipped = "superseded by a later version"
    elif invite.event != BookingEvent.CANCELLED and booking.status not in ACTIVE_BOOKING_STATUSES:
        skipped = "the booking is no longer upcoming"
    if skipped:
        BookingInvite.objects.filter(pk=invite.pk, sent_at__isnull=True).update(skipped_reason=skipped)
        return False

    method = INVITE_METHODS[invite.event]
    message = booking_message(booking=booking, event=invite.event, recipient=recipient)
    link = site_link(booking_page_path(booking=booking, user=recipient))
    is_client = recipient.pk == booking.client_id
    other_zone = booking.reader_timezone if is_client else booking.client_timezone
    email_send(
        to=[recipient.email],
        subject=f"[{settings.SITE_NAME}] {message.title}",
        template="scheduling/email/booking_invite",
        context={
            "message": message,
            "event": invite.event,
            "is_cancel": invite.event == BookingEvent.CANCELLED,
            "when": when_text(starts_at=booking.starts_at, ends_at=booking.ends_at, tz_name=recipient.timezone),
            "other_when": (
                when_text(starts_at=booking.starts_at, ends_at=booking.ends_at, tz_name=other_zone)
                if other_zone != recipient.timezone
                else ""
            ),
            "other_role": "the reader" if is_client else "the client",
            "modality": Modality(booking.modality).label,
            "booking": booking,
            "action_url": link,
            "action_label": "See your bookings",
            "settings_url": site_link(reverse("accounts:settings")),
        },
        attachments=[
            (
                "invite.ics",
                booking_ics(booking=booking, recipient=recipient, method=method, link=link),
                f"text/calendar; method={method}",
            )
        ],
    )
    BookingInvite.objects.filter(pk=invite.pk, sent_at__isnull=True).update(sent_at=timezone.now())
    return True
