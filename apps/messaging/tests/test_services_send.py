from datetime import timedelta
from decimal import Decimal

import pytest

from apps.accounts.tests.factories import ReaderFactory, UserFactory
from apps.core.exceptions import RateLimitedError
from apps.messaging import services
from apps.messaging.constants import MESSAGE_MAX_LENGTH, SEND_RATE_LIMIT
from apps.messaging.enums import NotificationKind
from apps.messaging.exceptions import (
    ConversationBlocked,
    ConversationNotFound,
    InvalidMessage,
    InvalidPrice,
    NoColdMessages,
    RecipientUnavailable,
)
from apps.messaging.models import Conversation, EmailBatch, Message
from apps.notifications.models import Notification
from apps.notifications.services import notification_email_send

from .factories import conversation_with, listed_reader

pytestmark = pytest.mark.django_db


def test_client_message_send_to_listed_reader_opens_one_conversation(client_user):
    # given
    reader = listed_reader().user
    # when
    first = services.client_message_send(actor=client_user, reader_id=reader.pk, body="  Hello there  ")
    second = services.client_message_send(actor=client_user, reader_id=reader.pk, body="Are you there?")
    # then
    assert first.conversation_id == second.conversation_id
    assert Conversation.objects.filter(client=client_user, reader=reader).count() == 1
    assert first.body == "Hello there"
    assert not first.is_paid


def test_client_message_send_to_unlisted_reader_refused_nothing_written(client_user):
    # given
    reader = listed_reader(is_published=False).user
    # when
    with pytest.raises(RecipientUnavailable):
        services.client_message_send(actor=client_user, reader_id=reader.pk, body="Hello")
    # then
    assert not Conversation.objects.exists()
    assert not Message.objects.exists()


@pytest.mark.parametrize("body", ["", "   \n ", "x" * (MESSAGE_MAX_LENGTH + 1)])
def test_client_message_send_bad_length_refused_nothing_written(client_user, body):
    # given
    reader = listed_reader().user
    # when
    with pytest.raises(InvalidMessage):
        services.client_message_send(actor=client_user, reader_id=reader.pk, body=body)
    # then
    assert not Message.objects.exists()


def test_client_message_send_over_rate_limit_refused_nothing_written(client_user):
    # given
    reader = listed_reader().user
    for index in range(SEND_RATE_LIMIT):
        services.client_message_send(actor=client_user, reader_id=reader.pk, body=f"Message {index}")
    # when
    with pytest.raises(RateLimitedError) as error:
        services.client_message_send(actor=client_user, reader_id=reader.pk, body="One too many")
    # then
    assert "10 messages a minute" in error.value.message
    assert Message.objects.count() == SEND_RATE_LIMIT
    assert not Message.objects.filter(body="One too many").exists()


def test_client_message_send_rate_limit_is_per_user(client_user, other_client_user):
    # given
    reader = listed_reader().user
    for index in range(SEND_RATE_LIMIT):
        services.client_message_send(actor=client_user, reader_id=reader.pk, body=f"Message {index}")
    # when
    message = services.client_message_send(actor=other_client_user, reader_id=reader.pk, body="My first")
    # then
    assert message.pk


def test_client_message_send_by_reader_refused_no_cold_messages(reader_user):
    # given: a reader tries to open a conversation with another reader's profile
    other = listed_reader().user
    # when
    with pytest.raises(RecipientUnavailable):
        services.client_message_send(actor=reader_user, reader_id=other.pk, body="Hello")
    # then
    assert not Conversation.objects.exists()


def test_reader_reply_send_in_own_conversation_free_is_readable(client_user):
    # given
    conversation = conversation_with(client=client_user)
    # when
    reply = services.reader_reply_send(actor=conversation.reader, conversation_id=conversation.pk, body="Yes!")
    # then
    assert not reply.is_paid and reply.price_amount is None


def test_reader_reply_send_paid_without_price_uses_profile_price(client_user):
    # given
    profile = listed_reader(paid_reply_amount=Decimal("3.50"))
    conversation = conversation_with(client=client_user, reader=profile.user)
    # when
    reply = services.reader_reply_send(
        actor=profile.user, conversation_id=conversation.pk, body="The cards say...", is_paid=True
    )
    # then
    assert reply.is_paid and reply.price_amount == Decimal("3.50") and reply.is_locked


@pytest.mark.parametrize("price", ["0.49", "100.01", "abc", "1.005", "-2"])
def test_reader_reply_send_price_out_of_bounds_refused_nothing_written(client_user, price):
    # given
    conversation = conversation_with(client=client_user)
    # when
    with pytest.raises(InvalidPrice):
        services.reader_reply_send(
            actor=conversation.reader, conversation_id=conversation.pk, body="x", is_paid=True, price_amount=price
        )
    # then
    assert conversation.messages.count() == 1


def test_reader_reply_send_in_other_readers_conversation_not_found(client_user):
    # given
    conversation = conversation_with(client=client_user)
    intruder = ReaderFactory()
    # when
    with pytest.raises(ConversationNotFound):
        services.message_send(actor=intruder, conversation_id=conversation.pk, body="Let me read for you")
    # then
    assert conversation.messages.count() == 1


def test_message_send_by_stranger_not_found(client_user):
    # given
    conversation = conversation_with(client=client_user)
    # when / then
    with pytest.raises(ConversationNotFound):
        services.message_send(actor=UserFactory(), conversation_id=conversation.pk, body="Hi")


def test_conversation_block_set_blocked_reader_cannot_write_until_unblocked(client_user):
    # given
    conversation = conversation_with(client=client_user)
    services.conversation_block_set(actor=client_user, conversation_id=conversation.pk, blocked=True)
    # when
    with pytest.raises(ConversationBlocked):
        services.reader_reply_send(actor=conversation.reader, conversation_id=conversation.pk, body="Please")
    services.conversation_block_set(actor=client_user, conversation_id=conversation.pk, blocked=False)
    reply = services.reader_reply_send(actor=conversation.reader, conversation_id=conversation.pk, body="Thanks")
    # then
    assert conversation.messages.filter(sender=conversation.reader).count() == 1
    assert reply.body == "Thanks"


def test_conversation_block_set_by_reader_not_found(client_user):
    # given
    conversation = conversation_with(client=client_user)
    # when / then
    with pytest.raises(ConversationNotFound):
        services.conversation_block_set(actor=conversation.reader, conversation_id=conversation.pk, blocked=True)
    conversation.refresh_from_db()
    assert not conversation.is_blocked


def test_client_message_send_notifies_reader_and_batches_email(client_user):
    # given
    reader = listed_reader().user
    # when
    services.client_message_send(actor=client_user, reader_id=reader.pk, body="First, with a secret word")
    services.client_message_send(actor=client_user, reader_id=reader.pk, body="Second")
    # then: two in-app notifications, only the first asks for an email
    notifications = list(Notification.objects.filter(user=reader).order_by("id"))
    assert [n.kind for n in notifications] == [NotificationKind.NEW_MESSAGE] * 2
    assert [n.email_requested for n in notifications] == [True, False]
    assert all("secret" not in n.title + n.body for n in notifications)


def test_client_message_send_after_batch_window_emails_again(client_user):
    # given
    reader = listed_reader().user
    services.client_message_send(actor=client_user, reader_id=reader.pk, body="First")
    EmailBatch.objects.update(last_emailed_at=EmailBatch.objects.get().last_emailed_at - timedelta(minutes=16))
    # when
    services.client_message_send(actor=client_user, reader_id=reader.pk, body="Later")
    # then
    assert list(Notification.objects.filter(user=reader).order_by("id").values_list("email_requested", flat=True)) == [
        True,
        True,
    ]


def test_client_message_send_email_preference_off_no_email(client_user):
    # given
    reader = listed_reader().user
    reader.notify_email_messages = False
    reader.save(update_fields=["notify_email_messages"])
    # when
    services.client_message_send(actor=client_user, reader_id=reader.pk, body="Hello")
    # then
    notification = Notification.objects.get(user=reader)
    assert not notification.email_requested
    assert not EmailBatch.objects.exists()


def test_client_message_send_email_leaves_once_committed(client_user, django_capture_on_commit_callbacks, mailoutbox):
    # given
    reader = listed_reader().user
    # when
    with django_capture_on_commit_callbacks() as callbacks:
        services.client_message_send(actor=client_user, reader_id=reader.pk, body="A private question")
    notification_email_send(notification_id=Notification.objects.get(user=reader).pk)
    # then
    assert len(callbacks) == 1
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [reader.email]
    assert "A private question" not in mailoutbox[0].body


def test_reader_reply_send_paid_notification_shows_price_never_text(client_user):
    # given
    conversation = conversation_with(client=client_user)
    # when
    services.reader_reply_send(
        actor=conversation.reader,
        conversation_id=conversation.pk,
        body="SECRET-PROPHECY",
        is_paid=True,
        price_amount="4.00",
    )
    # then
    notification = Notification.objects.get(user=client_user)
    assert notification.kind == NotificationKind.PAID_REPLY
    assert "$4.00" in notification.title
    assert "SECRET" not in notification.title + notification.body + notification.url


def test_conversation_mark_read_marks_only_the_other_persons_messages(client_user):
    # given
    conversation = conversation_with(client=client_user)
    services.reader_reply_send(actor=conversation.reader, conversation_id=conversation.pk, body="Hi")
    # when
    changed = services.conversation_mark_read(viewer=client_user, conversation_id=conversation.pk)
    # then
    assert changed == 1
    assert conversation.messages.get(sender=client_user).read_at is None


def test_conversation_mark_read_by_stranger_changes_nothing(client_user):
    # given
    conversation = conversation_with(client=client_user)
    # when
    changed = services.conversation_mark_read(viewer=UserFactory(), conversation_id=conversation.pk)
    # then
    assert changed == 0


def test_reader_reply_send_where_client_never_wrote_refused(client_user):
    # given: a thread without any message from the client
    from django.utils import timezone

    reader = listed_reader().user
    conversation = Conversation.objects.create(client=client_user, reader=reader, last_message_at=timezone.now())
    # when
    with pytest.raises(NoColdMessages):
        services.reader_reply_send(actor=reader, conversation_id=conversation.pk, body="Special offer!")
    # then
    assert not conversation.messages.exists()
