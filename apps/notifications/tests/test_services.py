import pytest
from django.core import mail
from django.urls import reverse

from apps.accounts.tests.factories import UserFactory
from apps.core.outbox import outbox_drain
from apps.moderation.services import MODERATION_WARNING_KIND
from apps.notifications.enums import Kind
from apps.notifications.selectors import notification_unread_count
from apps.notifications.services import (
    NotificationNotFound,
    notification_email_send,
    notification_mark_all_read,
    notification_mark_read,
    notify,
)

pytestmark = pytest.mark.django_db


def test_notify_email_wanted_sends_once_after_commit(django_capture_on_commit_callbacks):
    # given
    user = UserFactory()
    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification = notify(
            user=user, kind=Kind.READER_ONLINE, title="Selene is online", url="/readers/1/", email=True
        )
    # then
    assert len(callbacks) == 1 and not mail.outbox
    assert outbox_drain() == 1
    assert outbox_drain() == 0
    assert notification_email_send(notification_id=notification.pk) is False
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]
    assert "http://" in mail.outbox[0].body and "/readers/1/" in mail.outbox[0].body


def test_notify_user_opted_out_of_category_gets_no_email(django_capture_on_commit_callbacks):
    # given
    user = UserFactory(notify_email_readings=False)
    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification = notify(user=user, kind=Kind.READER_ONLINE, title="Selene is online", email=True)
    # then
    assert callbacks == []
    assert notification.email_requested is False
    assert notification_email_send(notification_id=notification.pk) is False
    assert not mail.outbox
    assert notification_unread_count(viewer=user) == 1


def test_notify_other_category_preference_ignored(django_capture_on_commit_callbacks):
    # given
    user = UserFactory(notify_email_readings=False, notify_email_account=True)
    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(user=user, kind=MODERATION_WARNING_KIND, title="A warning", email=True)
    # then
    assert len(callbacks) == 1


def test_notify_email_false_never_emails(django_capture_on_commit_callbacks):
    # given
    user = UserFactory()
    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(user=user, kind=Kind.READER_ONLINE, title="x")
    # then
    assert callbacks == []


def test_notification_mark_read_someone_elses_not_found_and_unchanged():
    # given
    owner, stranger = UserFactory(), UserFactory()
    notification = notify(user=owner, kind=Kind.READER_ONLINE, title="x")
    # when / then
    with pytest.raises(NotificationNotFound):
        notification_mark_read(user=stranger, notification_id=notification.pk)
    notification.refresh_from_db()
    assert notification.read_at is None


def test_notification_mark_read_and_all_read_lower_unread_count():
    # given
    user = UserFactory()
    first = notify(user=user, kind=Kind.READER_ONLINE, title="one")
    notify(user=user, kind=Kind.READER_ONLINE, title="two")
    notify(user=user, kind=Kind.READER_ONLINE, title="three")
    # when
    notification_mark_read(user=user, notification_id=first.pk)
    # then
    assert notification_unread_count(viewer=user) == 2
    assert notification_mark_all_read(user=user) == 2
    assert notification_unread_count(viewer=user) == 0


def test_notification_views_list_own_only_and_404_for_others(client):
    # given
    owner, stranger = UserFactory(), UserFactory()
    notification = notify(user=owner, kind=Kind.READER_ONLINE, title="Selene is online")
    client.force_login(stranger)
    # when
    listing = client.get(reverse("notifications:list"))
    foreign = client.post(reverse("notifications:mark_read", args=[notification.pk]))
    # then
    assert b"Selene is online" not in listing.content
    assert foreign.status_code == 404
    client.force_login(owner)
    assert b"Selene is online" in client.get(reverse("notifications:list")).content
    assert client.post(reverse("notifications:mark_read", args=[notification.pk])).status_code == 302
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_bell_shows_unread_count(client):
    # given
    user = UserFactory()
    notify(user=user, kind=Kind.READER_ONLINE, title="one")
    notify(user=user, kind=Kind.READER_ONLINE, title="two")
    client.force_login(user)
    # when
    response = client.get(reverse("notifications:bell"))
    # then
    assert b'badge badge-pink">2<' in response.content and b"unread" in response.content


def test_bell_anonymous_shows_nothing(client):
    # when
    response = client.get(reverse("notifications:bell"))
    # then
    assert response.status_code == 200 and b"unread" not in response.content


def test_mark_read_open_follows_only_local_urls(client):
    # given
    user = UserFactory()
    local = notify(user=user, kind=Kind.READER_ONLINE, title="a", url="/readers/1/")
    evil = notify(user=user, kind=Kind.READER_ONLINE, title="b", url="https://evil.example/")
    client.force_login(user)
    # when
    to_local = client.post(reverse("notifications:mark_read", args=[local.pk]), {"open": "1"})
    to_evil = client.post(reverse("notifications:mark_read", args=[evil.pk]), {"open": "1"})
    # then
    assert to_local["Location"] == "/readers/1/"
    assert to_evil["Location"] == reverse("notifications:list")


def test_notification_email_smtp_down_retried_then_sent_once():
    # given: the mail server refuses the first attempt
    from datetime import timedelta
    from unittest import mock

    from django.utils import timezone

    from apps.core.models import OutboxMessage

    user = UserFactory()
    notification = notify(user=user, kind=MODERATION_WARNING_KIND, title="A warning", email=True)
    now = timezone.now()
    # when
    with mock.patch("apps.notifications.services.email_send", side_effect=OSError("connection refused")):
        assert outbox_drain(now=now) == 1
    # then: not marked sent, retried later, sent exactly once
    notification.refresh_from_db()
    assert notification.emailed_at is None and not mail.outbox
    assert OutboxMessage.objects.get().attempts == 1
    assert outbox_drain(now=now + timedelta(minutes=5)) == 1
    notification.refresh_from_db()
    assert notification.emailed_at is not None and len(mail.outbox) == 1
