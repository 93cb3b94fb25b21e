import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured

from apps.accounts.tests.factories import UserFactory
from apps.core.models import OutboxMessage
from apps.notifications.models import Notification
from apps.notifications.registry import (
    EMAIL_PREFERENCE_BY_CATEGORY,
    notification_kind_get,
    notification_kind_register,
    notification_kinds,
)
from apps.notifications.services import notify


@pytest.mark.parametrize("key", ["nocategory", "Account.Thing", "account.", "account.two.dots", "forum.posted"])
def test_notification_kind_register_bad_key_refused_at_start_up(key):
    with pytest.raises(ImproperlyConfigured):
        notification_kind_register(key, label="Bad")
    assert notification_kind_get(key) is None


def test_notification_kind_register_same_key_other_label_refused():
    notification_kind_register("account.registry_test", label="One")
    with pytest.raises(ImproperlyConfigured):
        notification_kind_register("account.registry_test", label="Two")


def test_notification_kinds_every_kind_in_use_is_registered_with_a_user_preference():
    from apps.accounts.models import User
    from apps.messaging.enums import NotificationKind
    from apps.moderation.services import MODERATION_WARNING_KIND
    from apps.notifications.enums import Kind
    from apps.readings.services.flow import NOTIFY_KIND_REQUEST, NOTIFY_KIND_UPDATE
    from apps.readings.services.reviews import NOTIFY_KIND_REVIEW

    in_use = {
        Kind.READER_ONLINE,
        NotificationKind.NEW_MESSAGE,
        NotificationKind.PAID_REPLY,
        NotificationKind.REPLY_UNLOCKED,
        MODERATION_WARNING_KIND,
        NOTIFY_KIND_REQUEST,
        NOTIFY_KIND_UPDATE,
        NOTIFY_KIND_REVIEW,
    }
    assert in_use <= {kind.key for kind in notification_kinds()}
    user_fields = {field.name for field in User._meta.get_fields()}
    assert set(EMAIL_PREFERENCE_BY_CATEGORY.values()) <= user_fields


@pytest.mark.django_db
def test_notify_unregistered_kind_never_raises_and_sends_no_email():
    # given
    user = UserFactory(notify_email_account=True)
    # when
    notification = notify(user=user, kind="account.never_registered", title="Hello", email=True)
    # then: delivered in-app, no email queued, nothing raised inside the caller's transaction
    assert Notification.objects.filter(pk=notification.pk, email_requested=False).exists()
    assert not OutboxMessage.objects.exists() and not mail.outbox
