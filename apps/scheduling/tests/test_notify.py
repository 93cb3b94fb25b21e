"""booking_event_notify: both parties told in-app, invite emails with the right .ics through the outbox, each in
the recipient's own timezone, with the user's email preference respected, once."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from icalendar import Calendar

from apps.accounts.tests.factories import UserFactory
from apps.core.emails import email_send
from apps.core.models import OutboxMessage
from apps.core.outbox import outbox_drain
from apps.notifications.models import Notification
from apps.scheduling.enums import BookingStatus, CancelledBy, NoShowParty
from apps.scheduling.models import BookingInvite
from apps.scheduling.notify import booking_event_notify, when_text
from apps.scheduling.outbox_handlers import booking_invite_send
from apps.scheduling.tests.factories import ReaderScheduleFactory, booking_funded
from tests.support.money import top_up

pytestmark = pytest.mark.django_db

# 23:00 in London (GMT) is 15:00 in Los Angeles (PST), the same day.
START = datetime(2027, 1, 12, 23, 0, tzinfo=UTC)


def _booking(*, client_kwargs=None, reader_timezone="Europe/London", **fields):
    reader = ReaderScheduleFactory().reader
    reader.timezone = reader_timezone
    reader.save(update_fields=["timezone"])
    client = UserFactory(display_name="Alex", timezone="America/Los_Angeles", **(client_kwargs or {}))
    top_up(client, "200.00")
    fields.setdefault("client_timezone", client.timezone)
    fields.setdefault("reader_timezone", reader_timezone)
    return booking_funded(client=client, reader=reader, starts_at=START, duration_minutes=30, **fields)


def _change(booking, event, **fields):
    """What a booking service does: save the change, then tell both sides, in one transaction."""
    with transaction.atomic():
        for name, value in fields.items():
            setattr(booking, name, value)
        if fields:
            booking.save(update_fields=list(fields))
        booking_event_notify(booking=booking, event=event)


def _mail_to(user):
    return [message for message in mail.outbox if message.to == [user.email]]


def _invite(message):
    (attachment,) = message.attachments
    calendar = Calendar.from_ical(attachment.content)
    (event,) = calendar.walk("VEVENT")
    return attachment, calendar, event


def test_booking_event_notify_created_tells_both_in_app_and_emails_each_a_request_in_their_own_zone():
    # given
    booking = _booking()
    reader_name = booking.reader.reader_profile.display_name
    # when
    _change(booking, "created")
    # then: in-app, both sides, each in their own zone
    client_note = Notification.objects.get(user=booking.client)
    reader_note = Notification.objects.get(user=booking.reader)
    assert client_note.kind == reader_note.kind == "scheduling.created"
    assert client_note.title == f"Booked: your reading with {reader_name} on Tue 12 Jan, 15:00 PST"
    assert "$60.00 is held from your wallet" in client_note.body
    assert "Cancel at least 24 hours before the start for a full refund." in client_note.body
    assert reader_note.title == "New booking: Alex on Tue 12 Jan, 23:00 GMT"
    assert not mail.outbox
    # when the outbox runs
    outbox_drain()
    # then: one email each, with a REQUEST invite of version 0
    (to_client,), (to_reader,) = _mail_to(booking.client), _mail_to(booking.reader)
    assert "Tuesday 12 January 2027, 15:00–15:30 PST (America/Los_Angeles)" in to_client.body
    assert "For the reader: Tuesday 12 January 2027, 23:00–23:30 GMT (Europe/London)" in to_client.body
    assert "Tuesday 12 January 2027, 23:00–23:30 GMT (Europe/London)" in to_reader.body
    assert "PST" not in to_reader.subject and "23:00 GMT" in to_reader.subject
    for message in (to_client, to_reader):
        attachment, calendar, event = _invite(message)
        assert attachment.filename == "invite.ics" and attachment.mimetype == "text/calendar; method=REQUEST"
        assert calendar["METHOD"] == "REQUEST" and event["SEQUENCE"] == 0
        assert event.decoded("DTSTART") == START and event.decoded("DTEND") == START + timedelta(minutes=30)
        assert str(event["UID"]).startswith(f"booking-{booking.pk}@")
        assert 'data-email-layout="soulseer"' in message.alternatives[0][0]
    assert not BookingInvite.objects.filter(sent_at__isnull=True).exists()
    assert BookingInvite.objects.count() == 2


def test_booking_event_notify_rescheduled_raises_the_sequence_and_requests_the_new_time():
    # given: a booking whose invites went out
    booking = _booking()
    _change(booking, "created")
    outbox_drain()
    mail.outbox.clear()
    new_start = START + timedelta(days=2)
    # when
    _change(booking, "rescheduled", starts_at=new_start, ends_at=new_start + timedelta(minutes=30))
    outbox_drain()
    # then: same event, version 1, the new instants, for both
    booking.refresh_from_db()
    assert booking.ics_sequence == 1
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        _, calendar, event = _invite(message)
        assert calendar["METHOD"] == "REQUEST" and event["SEQUENCE"] == 1
        assert event.decoded("DTSTART") == new_start
        assert str(event["UID"]) == f"booking-{booking.pk}@127.0.0.1"
    (to_client,) = _mail_to(booking.client)
    assert to_client.subject.endswith("is now on Thu 14 Jan, 15:00 PST")
    assert Notification.objects.filter(kind="scheduling.rescheduled").count() == 2


def test_booking_event_notify_cancelled_by_client_sends_cancel_invites_and_tells_each_their_money():
    # given
    booking = _booking()
    _change(booking, "created")
    outbox_drain()
    mail.outbox.clear()
    # when: the client cancels 10 hours ahead (50% back, the kept half settles 70/30)
    _change(
        booking,
        "cancelled",
        status=BookingStatus.CANCELLED,
        cancelled_by=CancelledBy.CLIENT,
        cancelled_at=START - timedelta(hours=10),
        refund_amount=Decimal("30.00"),
        reader_share_amount=Decimal("21.00"),
        platform_share_amount=Decimal("9.00"),
    )
    outbox_drain()
    # then
    assert Notification.objects.get(user=booking.client, kind="scheduling.cancelled").body.endswith(
        "You cancelled it. $30.00 of the $60.00 is back in your wallet, as the policy says."
    )
    assert Notification.objects.get(user=booking.reader, kind="scheduling.cancelled").body.endswith(
        "Alex cancelled it. You receive $21.00 under the cancellation policy."
    )
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        attachment, calendar, event = _invite(message)
        assert attachment.mimetype == "text/calendar; method=CANCEL"
        assert calendar["METHOD"] == "CANCEL" and event["SEQUENCE"] == 1 and str(event["STATUS"]) == "CANCELLED"
        assert "removes the reading from your calendar" in message.body


def test_booking_event_notify_cancelled_by_reader_tells_the_client_the_full_refund_and_the_reason():
    # given
    booking = _booking()
    # when
    _change(
        booking,
        "cancelled",
        status=BookingStatus.CANCELLED,
        cancelled_by=CancelledBy.READER,
        cancel_reason="I am unwell",
        refund_amount=Decimal("60.00"),
    )
    # then
    reader_name = booking.reader.reader_profile.display_name
    assert Notification.objects.get(user=booking.client).body.endswith(
        f"{reader_name} cancelled it (I am unwell). The full $60.00 is back in your wallet."
    )
    assert Notification.objects.get(user=booking.reader).body.endswith(
        "You cancelled it. The client was refunded in full."
    )


def test_booking_event_notify_user_who_wants_no_booking_email_gets_it_in_app_only():
    # given: the client switched off emails about readings and bookings
    booking = _booking(client_kwargs={"notify_email_readings": False})
    # when
    _change(booking, "created")
    outbox_drain()
    # then
    assert Notification.objects.filter(user=booking.client, kind="scheduling.created").exists()
    assert _mail_to(booking.client) == []
    assert len(_mail_to(booking.reader)) == 1


def test_booking_invite_send_runs_once_however_often_it_is_called_or_enqueued():
    # given: the same change told twice in one transaction (a retried inner call)
    booking = _booking()
    with transaction.atomic():
        booking_event_notify(booking=booking, event="created")
        booking_event_notify(booking=booking, event="created")
    invites = list(BookingInvite.objects.filter(booking=booking))
    # when
    outbox_drain()
    outbox_drain()
    again = [booking_invite_send(invite_id=invite.pk) for invite in invites]
    # then: one invite per party, one message each, one email each
    assert len(invites) == 2
    assert OutboxMessage.objects.filter(name="scheduling.booking_invite_send").count() == 2
    assert again == [False, False]
    assert len(mail.outbox) == 2


def test_booking_invite_send_superseded_version_is_skipped_and_only_the_latest_leaves():
    # given: booked and moved before the outbox ran
    booking = _booking()
    _change(booking, "created")
    new_start = START + timedelta(hours=3)
    _change(booking, "rescheduled", starts_at=new_start, ends_at=new_start + timedelta(minutes=30))
    # when
    outbox_drain()
    # then
    assert len(mail.outbox) == 2
    assert {_invite(message)[2]["SEQUENCE"] for message in mail.outbox} == {1}
    skipped = BookingInvite.objects.filter(sequence=0)
    assert skipped.count() == 2
    assert set(skipped.values_list("skipped_reason", flat=True)) == {"superseded by a later version"}
    assert not skipped.filter(sent_at__isnull=False).exists()


def test_booking_event_notify_rolled_back_change_sends_nothing():
    # given
    booking = _booking()
    # when: the booking service fails after telling both sides
    with pytest.raises(RuntimeError, match="boom"), transaction.atomic():
        booking_event_notify(booking=booking, event="created")
        raise RuntimeError("boom")
    outbox_drain()
    # then
    assert not Notification.objects.exists() and not BookingInvite.objects.exists()
    assert not mail.outbox


def test_booking_event_notify_reader_no_show_tells_the_client_the_refund_by_email_without_invite():
    # given
    booking = _booking()
    # when
    _change(
        booking,
        "no_show",
        status=BookingStatus.NO_SHOW,
        no_show_party=NoShowParty.READER,
        refund_amount=Decimal("60.00"),
    )
    outbox_drain()
    # then
    client_note = Notification.objects.get(user=booking.client)
    reader_note = Notification.objects.get(user=booking.reader)
    assert client_note.kind == "scheduling.no_show" and "The full $60.00 is back in your wallet." in client_note.body
    assert "counts on your record" in reader_note.body
    assert len(mail.outbox) == 2 and all(message.attachments == [] for message in mail.outbox)
    assert not BookingInvite.objects.exists()


def test_booking_event_notify_client_no_show_tells_the_reader_their_pay():
    # given
    booking = _booking()
    # when
    _change(
        booking,
        "no_show",
        status=BookingStatus.NO_SHOW,
        no_show_party=NoShowParty.CLIENT,
        refund_amount=Decimal("0.00"),
        reader_share_amount=Decimal("42.00"),
    )
    # then
    assert Notification.objects.get(user=booking.reader).body.endswith(
        "The client did not join in time. You earned $42.00."
    )
    assert "the price is paid to the reader" in Notification.objects.get(user=booking.client).body


def test_booking_event_notify_completed_is_in_app_only():
    # given
    booking = _booking()
    # when
    _change(booking, "completed", status=BookingStatus.COMPLETED, reader_share_amount=Decimal("42.00"))
    outbox_drain()
    # then
    assert Notification.objects.get(user=booking.reader).body.endswith("is complete. You earned $42.00.")
    assert Notification.objects.filter(kind="scheduling.completed").count() == 2
    assert not mail.outbox and not BookingInvite.objects.exists()


def test_booking_event_notify_move_re_arms_reminders_unless_it_is_less_than_a_day_ahead():
    # given: both reminders of the old time were sent
    booking = _booking()
    sent = START - timedelta(minutes=15)
    _change(booking, "created", reminder_day_sent_at=sent, reminder_soon_sent_at=sent)
    far, near = START + timedelta(days=3), timezone.now() + timedelta(hours=20)
    # when: moved to three days later
    _change(booking, "rescheduled", starts_at=far, ends_at=far + timedelta(minutes=30))
    # then: both reminders will be sent for the new time
    booking.refresh_from_db()
    assert booking.reminder_day_sent_at is None and booking.reminder_soon_sent_at is None
    # when: moved to 20 hours from now
    _change(booking, "rescheduled", starts_at=near, ends_at=near + timedelta(minutes=30))
    # then: only the 15-minute reminder is left to send
    booking.refresh_from_db()
    assert booking.reminder_day_sent_at is not None and booking.reminder_soon_sent_at is None
    assert timezone.now() - booking.reminder_day_sent_at < timedelta(minutes=1)
    assert booking.ics_sequence == 2


def test_booking_event_notify_refuses_an_unknown_event():
    # given
    booking = _booking()
    # when / then
    with pytest.raises(ValueError), transaction.atomic():
        booking_event_notify(booking=booking, event="exploded")
    assert not Notification.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_booking_event_notify_outside_the_callers_transaction_is_refused():
    # given
    booking = _booking()
    # when / then: nothing would tie the emails to the change
    with pytest.raises(RuntimeError):
        booking_event_notify(booking=booking, event="created")
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    ("starts_at", "tz_name", "expected"),
    [
        # summer time in London, and a reading that runs past midnight in the viewer's zone
        (datetime(2027, 7, 1, 22, 45, tzinfo=UTC), "Europe/London", "Thursday 1 July 2027, 23:45–Fri 2 Jul 00:15 BST"),
        # the first morning after the clocks went forward in New York
        (datetime(2027, 3, 14, 14, 0, tzinfo=UTC), "America/New_York", "Sunday 14 March 2027, 10:00–10:30 EDT"),
        (datetime(2027, 3, 14, 14, 0, tzinfo=UTC), "Asia/Kolkata", "Sunday 14 March 2027, 19:30–20:00 IST"),
        (datetime(2027, 4, 4, 15, 30, tzinfo=UTC), "Australia/Sydney", "Monday 5 April 2027, 01:30–02:00 AEST"),
    ],
)
def test_when_text_shows_the_instant_in_the_viewers_zone(starts_at, tz_name, expected):
    # when
    text = when_text(starts_at=starts_at, ends_at=starts_at + timedelta(minutes=30), tz_name=tz_name)
    # then
    assert text == f"{expected} ({tz_name})"


def test_booking_invite_send_mail_server_down_is_retried_by_the_outbox_and_sent_once(monkeypatch):
    # given: the mail server refuses the first attempt
    booking = _booking()
    _change(booking, "created")
    calls = []

    def refuse_once(**kwargs):
        calls.append(kwargs["to"])
        if len(calls) == 1:
            raise ConnectionRefusedError("smtp down")
        return email_send(**kwargs)

    monkeypatch.setattr("apps.scheduling.outbox_handlers.email_send", refuse_once)
    # when
    outbox_drain()
    # then: one invite waits, unsent; the other left
    assert len(mail.outbox) == 1
    assert BookingInvite.objects.filter(sent_at__isnull=True).count() == 1
    # when: the retry is due
    outbox_drain(now=timezone.now() + timedelta(hours=1))
    outbox_drain(now=timezone.now() + timedelta(hours=2))
    # then
    assert len(mail.outbox) == 2 and len(calls) == 3
    assert not BookingInvite.objects.filter(sent_at__isnull=True).exists()
