from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from apps.accounts.tests.factories import UserFactory
from apps.core.outbox import outbox_drain
from apps.notifications.models import Notification
from apps.readers.enums import Presence
from apps.readers.models import OnlineAlert, OnlineAlertDelivery, ReaderProfile
from apps.readers.selectors import reader_listed_list
from apps.readers.services import (
    reader_online_alert_set,
    reader_online_alerts_send,
    reader_presence_expire,
    reader_presence_heartbeat,
    reader_presence_set,
    reader_presence_set_busy,
)

from .factories import ReaderProfileFactory

pytestmark = pytest.mark.django_db


def presence_of(profile: ReaderProfile) -> str:
    return reader_listed_list().get(pk=profile.pk).current_presence


def age(profile: ReaderProfile, seconds: int) -> None:
    ReaderProfile.objects.filter(pk=profile.pk).update(last_seen_at=timezone.now() - timedelta(seconds=seconds))


def test_reader_presence_set_online_then_offline():
    # given
    profile = ReaderProfileFactory()
    # when
    reader_presence_set(actor=profile.user, online=True)
    # then
    assert presence_of(profile) == Presence.ONLINE
    reader_presence_set(actor=profile.user, online=False)
    assert presence_of(profile) == Presence.OFFLINE


def test_reader_presence_heartbeat_within_timeout_keeps_reader_online():
    # given
    profile = ReaderProfileFactory()
    reader_presence_set(actor=profile.user, online=True)
    age(profile, 100)
    # when
    kept = reader_presence_heartbeat(actor=profile.user)
    # then
    assert kept is True
    assert presence_of(profile) == Presence.ONLINE
    assert reader_presence_expire() == 0


def test_reader_presence_no_heartbeat_for_two_minutes_reader_offline_before_and_after_expiry_job():
    # given
    profile = ReaderProfileFactory()
    reader_presence_set(actor=profile.user, online=True)
    age(profile, 121)
    # when: read before the job runs
    derived = presence_of(profile)
    expired = reader_presence_expire()
    # then
    assert derived == Presence.OFFLINE
    assert expired == 1
    profile.refresh_from_db()
    assert profile.presence == Presence.OFFLINE


def test_reader_presence_heartbeat_after_timeout_does_not_revive():
    # given
    profile = ReaderProfileFactory()
    reader_presence_set(actor=profile.user, online=True)
    age(profile, 130)
    # when
    kept = reader_presence_heartbeat(actor=profile.user)
    # then
    assert kept is False
    assert presence_of(profile) == Presence.OFFLINE


def test_reader_presence_expire_leaves_fresh_readers_alone():
    # given
    fresh, stale = ReaderProfileFactory(), ReaderProfileFactory()
    reader_presence_set(actor=fresh.user, online=True)
    reader_presence_set(actor=stale.user, online=True)
    age(stale, 300)
    # when
    expired = reader_presence_expire()
    # then
    assert expired == 1
    assert ReaderProfile.objects.get(pk=fresh.pk).presence == Presence.ONLINE


def test_reader_presence_set_busy_only_from_online_and_back():
    # given
    profile = ReaderProfileFactory()
    assert reader_presence_set_busy(reader_user_id=profile.user_id, busy=True) is False
    reader_presence_set(actor=profile.user, online=True)
    # when
    became_busy = reader_presence_set_busy(reader_user_id=profile.user_id, busy=True)
    # then
    assert became_busy and presence_of(profile) == Presence.BUSY
    assert reader_presence_set_busy(reader_user_id=profile.user_id, busy=False)
    assert presence_of(profile) == Presence.ONLINE


def test_reader_presence_set_online_records_alerts_in_outbox_once(django_capture_on_commit_callbacks):
    # given
    from apps.core.models import OutboxMessage

    profile = ReaderProfileFactory()
    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        reader_presence_set(actor=profile.user, online=True)
        reader_presence_set(actor=profile.user, online=True)  # already online: nobody to tell again
    # then one outbox message, committed with the presence change, dispatched after the commit
    [message] = OutboxMessage.objects.filter(name="readers.online_alerts_send")
    assert message.kwargs == {"reader_id": profile.pk}
    assert sum(getattr(callback, "args", None) == (message.pk,) for callback in callbacks) == 1


def test_reader_online_alerts_send_once_per_day_per_reader_and_client(django_capture_on_commit_callbacks):
    # given
    profile = ReaderProfileFactory(display_name="Selene")
    fan, other_fan = UserFactory(), UserFactory(notify_email_readings=False)
    reader_online_alert_set(user=fan, reader_id=profile.pk, enabled=True)
    reader_online_alert_set(user=other_fan, reader_id=profile.pk, enabled=True)
    reader_presence_set(actor=profile.user, online=True)
    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = reader_online_alerts_send(reader_id=profile.pk)
    reader_presence_set(actor=profile.user, online=False)
    reader_presence_set(actor=profile.user, online=True)
    second = reader_online_alerts_send(reader_id=profile.pk)
    # then
    assert (first, second) == (2, 0)
    assert Notification.objects.filter(user=fan, kind="readings.reader_online").count() == 1
    assert Notification.objects.filter(user=other_fan).count() == 1
    assert OnlineAlertDelivery.objects.count() == 2
    # only the fan who wants reading emails gets one
    assert len(callbacks) == 1
    outbox_drain()  # (the alert fan-outs of both presence changes find everyone alerted today)
    assert len(mail.outbox) == 1 and "Selene is online now" in mail.outbox[0].subject
    assert mail.outbox[0].to == [fan.email]


def test_reader_online_alerts_send_next_day_alerts_again():
    # given
    profile = ReaderProfileFactory()
    fan = UserFactory()
    reader_online_alert_set(user=fan, reader_id=profile.pk, enabled=True)
    reader_presence_set(actor=profile.user, online=True)
    OnlineAlertDelivery.objects.create(user=fan, reader=profile, day=timezone.now().date() - timedelta(days=1))
    # when
    sent = reader_online_alerts_send(reader_id=profile.pk)
    # then
    assert sent == 1


def test_online_alert_delivery_second_row_same_day_refused_by_database():
    # given
    from django.db import IntegrityError, transaction

    profile = ReaderProfileFactory()
    fan = UserFactory()
    day = timezone.now().date()
    OnlineAlertDelivery.objects.create(user=fan, reader=profile, day=day)
    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        OnlineAlertDelivery.objects.create(user=fan, reader=profile, day=day)


def test_reader_online_alerts_send_reader_offline_again_sends_nothing():
    # given
    profile = ReaderProfileFactory()
    fan = UserFactory()
    reader_online_alert_set(user=fan, reader_id=profile.pk, enabled=True)
    # when
    sent = reader_online_alerts_send(reader_id=profile.pk)
    # then
    assert sent == 0
    assert not Notification.objects.exists()


def test_reader_online_alert_set_toggle_off_removes_subscription():
    # given
    profile = ReaderProfileFactory()
    fan = UserFactory()
    reader_online_alert_set(user=fan, reader_id=profile.pk, enabled=True)
    reader_online_alert_set(user=fan, reader_id=profile.pk, enabled=True)
    # when
    reader_online_alert_set(user=fan, reader_id=profile.pk, enabled=False)
    # then
    assert not OnlineAlert.objects.exists()
