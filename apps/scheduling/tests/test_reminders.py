"""Reminders a day and 15 minutes before a booked reading: each sent once (also from two workers at once), to both
parties, in each one's timezone; none a day ahead for a booking made later than that."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from apps.accounts.tests.factories import UserFactory
from apps.core.outbox import outbox_drain
from apps.notifications.models import Notification
from apps.scheduling.enums import BookingStatus
from apps.scheduling.models import Booking
from apps.scheduling.services.reminders import RemindersSent, booking_reminders_send
from apps.scheduling.tasks import booking_reminders_send_task
from apps.scheduling.tests.factories import ReaderScheduleFactory, booking_funded
from tests.support.money import top_up
from tests.support.racing import race_all_succeed

pytestmark = pytest.mark.django_db

# 23:00 in London (GMT) is 15:00 in Los Angeles (PST).
START = datetime(2027, 1, 12, 23, 0, tzinfo=UTC)
BOOKED_EARLY = START - timedelta(days=5)


def _booking(*, starts_at=START, created_at=BOOKED_EARLY, reader=None, client_kwargs=None, **fields):
    if reader is None:
        reader = ReaderScheduleFactory().reader
        reader.timezone = "Europe/London"
        reader.save(update_fields=["timezone"])
    client = UserFactory(display_name="Alex", timezone="America/Los_Angeles", **(client_kwargs or {}))
    top_up(client, "100.00")
    return booking_funded(client=client, reader=reader, starts_at=starts_at, created_at=created_at, **fields)


def _reminders(user):
    return list(Notification.objects.filter(user=user, kind="scheduling.reminder").order_by("pk"))


def test_booking_reminders_send_day_before_tells_both_in_their_own_zone_once():
    # given
    booking = _booking()
    now = START - timedelta(hours=23, minutes=59)
    # when
    first = booking_reminders_send(now=now)
    second = booking_reminders_send(now=now + timedelta(minutes=1))
    # then
    assert first == RemindersSent(day=1, soon=0) and second == RemindersSent(day=0, soon=0)
    (to_client,), (to_reader,) = _reminders(booking.client), _reminders(booking.reader)
    reader_name = booking.reader.reader_profile.display_name
    assert to_client.title == f"Reminder: your reading with {reader_name} on Tue 12 Jan, 15:00 PST"
    assert to_client.body.startswith("Tuesday 12 January 2027, 15:00–15:30 PST (America/Los_Angeles)")
    assert to_reader.title == "Reminder: your reading with Alex on Tue 12 Jan, 23:00 GMT"
    booking.refresh_from_db()
    assert booking.reminder_day_sent_at == now and booking.reminder_soon_sent_at is None
    # when the outbox runs: an email each, in their zone
    outbox_drain()
    assert sorted(message.to[0] for message in mail.outbox) == sorted([booking.client.email, booking.reader.email])
    (client_mail,) = [message for message in mail.outbox if message.to == [booking.client.email]]
    assert "15:00 PST" in client_mail.subject and "15:00–15:30 PST (America/Los_Angeles)" in client_mail.body


def test_booking_reminders_send_fifteen_minutes_before_sends_the_soon_reminder_once():
    # given: the day reminder went out yesterday
    booking = _booking(reminder_day_sent_at=START - timedelta(hours=24))
    # when
    early = booking_reminders_send(now=START - timedelta(minutes=16))
    due = booking_reminders_send(now=START - timedelta(minutes=15))
    again = booking_reminders_send(now=START - timedelta(minutes=5))
    # then
    assert early == RemindersSent(day=0, soon=0)
    assert due == RemindersSent(day=0, soon=1) and again == RemindersSent(day=0, soon=0)
    (to_client,), (to_reader,) = _reminders(booking.client), _reminders(booking.reader)
    assert to_client.title.startswith("Starting soon:") and to_client.title.endswith("at 15:00 PST")
    assert to_reader.title == "Starting soon: your reading with Alex at 23:00 GMT"


def test_booking_reminders_send_booking_made_less_than_a_day_ahead_gets_only_the_soon_reminder():
    # given: booked ten hours before the start
    booking = _booking(created_at=START - timedelta(hours=10))
    # when: through the whole time up to the start, a run every few minutes
    runs = [booking_reminders_send(now=START - timedelta(hours=10) + timedelta(minutes=m)) for m in range(0, 600, 5)]
    # then
    assert sum(run.day for run in runs) == 0 and sum(run.soon for run in runs) == 1
    booking.refresh_from_db()
    assert booking.reminder_day_sent_at is None and booking.reminder_soon_sent_at is not None
    assert len(_reminders(booking.client)) == len(_reminders(booking.reader)) == 1


def test_booking_reminders_send_day_reminder_not_due_yet_and_not_sent_in_the_last_hour():
    # given
    booking = _booking()
    # when
    too_early = booking_reminders_send(now=START - timedelta(hours=24, minutes=1))
    too_late = booking_reminders_send(now=START - timedelta(minutes=59))
    # then
    assert too_early == too_late == RemindersSent(day=0, soon=0)
    booking.refresh_from_db()
    assert booking.reminder_day_sent_at is None and not Notification.objects.exists()


@pytest.mark.parametrize("status", [BookingStatus.CANCELLED, BookingStatus.IN_PROGRESS, BookingStatus.COMPLETED])
def test_booking_reminders_send_only_confirmed_bookings_are_reminded(status):
    # given
    booking = _booking()
    Booking.objects.filter(pk=booking.pk).update(status=status)
    # when
    sent = [
        booking_reminders_send(now=START - timedelta(hours=12)),
        booking_reminders_send(now=START - timedelta(minutes=10)),
    ]
    # then
    assert sent == [RemindersSent(day=0, soon=0)] * 2 and not Notification.objects.exists()


def test_booking_reminders_send_after_the_start_sends_nothing():
    # given
    _booking()
    # when
    sent = booking_reminders_send(now=START)
    # then
    assert sent == RemindersSent(day=0, soon=0)


def test_booking_reminders_send_user_without_booking_emails_is_reminded_in_app_only():
    # given
    booking = _booking(client_kwargs={"notify_email_readings": False})
    # when
    booking_reminders_send(now=START - timedelta(minutes=10))
    outbox_drain()
    # then
    assert len(_reminders(booking.client)) == 1
    assert [message.to for message in mail.outbox] == [[booking.reader.email]]


def test_booking_reminders_send_batch_size_leaves_the_rest_for_the_next_run():
    # given: three bookings of one reader due for the day reminder
    first = _booking()
    for hours in (1, 2):
        _booking(reader=first.reader, starts_at=START + timedelta(hours=hours))
    now = START - timedelta(hours=20)
    # when
    runs = [booking_reminders_send(now=now, batch_size=2) for _ in range(3)]
    # then
    assert [run.day for run in runs] == [2, 1, 0]
    assert not Booking.objects.filter(reminder_day_sent_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_booking_reminders_send_two_workers_at_once_send_each_reminder_once():
    # given: three bookings due for the 15-minute reminder (their day reminders went out) and three for the day one
    now = START - timedelta(minutes=10)
    sent_before = START - timedelta(days=1)
    soon = [_booking(starts_at=now + timedelta(minutes=m), reminder_day_sent_at=sent_before) for m in (2, 6, 14)]
    later = [_booking(starts_at=START + timedelta(hours=h)) for h in (2, 5, 12)]
    # when: two workers run the same minute
    outcomes = race_all_succeed(lambda: booking_reminders_send(now=now), lambda: booking_reminders_send(now=now))
    # then: every party of every booking got one reminder
    assert sum(run.day for run in outcomes) == 3 and sum(run.soon for run in outcomes) == 3
    for booking in soon + later:
        assert len(_reminders(booking.client)) == len(_reminders(booking.reader)) == 1
    assert Notification.objects.count() == 12
    assert not Booking.objects.filter(pk__in=[b.pk for b in later], reminder_day_sent_at__isnull=True).exists()
    assert not Booking.objects.filter(pk__in=[b.pk for b in soon], reminder_soon_sent_at__isnull=True).exists()


def test_booking_reminders_send_task_sends_what_is_due_now():
    # given: a booking starting in ten minutes, made days ago
    starts_at = timezone.now().replace(microsecond=0) + timedelta(minutes=10)
    booking = _booking(starts_at=starts_at, created_at=starts_at - timedelta(days=3))
    # when: the beat job runs (in this process)
    result = booking_reminders_send_task.apply().get()
    # then
    assert result == {"day": 0, "soon": 1}
    assert len(_reminders(booking.client)) == len(_reminders(booking.reader)) == 1
