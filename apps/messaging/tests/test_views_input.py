"""Bad input in the conversation and start forms: a clear error on the page, and nothing written."""

from decimal import Decimal

import pytest
from django.urls import reverse

from apps.messaging.constants import MESSAGE_MAX_LENGTH
from apps.messaging.models import Conversation, Message
from apps.notifications.models import Notification
from apps.readers.constants import PAID_REPLY_MAX_AMOUNT, PAID_REPLY_MIN_AMOUNT

from .factories import conversation_with, listed_reader

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("price", "error"),
    [
        ("0.10", f"greater than or equal to {PAID_REPLY_MIN_AMOUNT}"),
        ("100.01", f"less than or equal to {PAID_REPLY_MAX_AMOUNT}"),
        ("-2", f"greater than or equal to {PAID_REPLY_MIN_AMOUNT}"),
        ("2.505", "no more than 2 decimal places"),
        ("two dollars", "Enter a number"),
        ("NaN", "Enter a number"),
    ],
)
def test_views_reader_reply_paid_bad_price_400_clear_error_nothing_written(client, client_user, price, error):
    # given
    conversation = conversation_with(client=client_user)
    client.force_login(conversation.reader)
    # when
    response = client.post(
        reverse("messaging:conversation", args=[conversation.pk]),
        {"body": "Paid answer", "is_paid": "on", "price_amount": price},
    )
    # then
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not Message.objects.filter(sender=conversation.reader).exists()
    assert not Notification.objects.filter(user=client_user).exists()


def test_views_reader_reply_paid_without_price_uses_profile_price(client, client_user):
    # given: the reader set 3.25 as their paid-reply price
    profile = listed_reader(paid_reply_amount=Decimal("3.25"))
    conversation = conversation_with(client=client_user, reader=profile.user)
    client.force_login(profile.user)
    # when
    response = client.post(
        reverse("messaging:conversation", args=[conversation.pk]), {"body": "Paid", "is_paid": "on", "price_amount": ""}
    )
    # then
    assert response.status_code == 302
    assert Message.objects.get(sender=profile.user).price_amount == Decimal("3.25")


@pytest.mark.parametrize("body", ["", "   \n  ", "x" * (MESSAGE_MAX_LENGTH + 1)])
def test_views_conversation_bad_body_400_clear_error_nothing_written(client, client_user, body):
    # given
    conversation = conversation_with(client=client_user)
    last_message_at = conversation.last_message_at
    client.force_login(client_user)
    # when
    response = client.post(reverse("messaging:conversation", args=[conversation.pk]), {"body": body})
    # then
    assert response.status_code == 400
    page = response.content.decode()
    assert "This field is required." in page or f"at most {MESSAGE_MAX_LENGTH} characters" in page
    assert conversation.messages.count() == 1
    conversation.refresh_from_db()
    assert conversation.last_message_at == last_message_at


def test_views_start_too_long_400_no_conversation_opened(client, client_user):
    # given
    profile = listed_reader()
    client.force_login(client_user)
    # when
    response = client.post(reverse("messaging:start", args=[profile.pk]), {"body": "x" * (MESSAGE_MAX_LENGTH + 1)})
    # then
    assert response.status_code == 400
    assert f"at most {MESSAGE_MAX_LENGTH} characters" in response.content.decode()
    assert not Conversation.objects.exists() and not Message.objects.exists()


def test_views_start_unlisted_reader_404(client, client_user):
    # given: a reader profile that is not published
    profile = listed_reader(is_published=False)
    client.force_login(client_user)
    # when
    response = client.post(reverse("messaging:start", args=[profile.pk]), {"body": "Hello"})
    # then
    assert response.status_code == 404
    assert not Conversation.objects.exists()


def test_views_unlock_someone_elses_or_unknown_reply_404(client, client_user, other_client_user):
    # given: a paid reply in another client's conversation, and an id that does not exist
    theirs = conversation_with(client=other_client_user)
    reply = Message.objects.create(
        conversation=theirs, sender=theirs.reader, body="theirs", is_paid=True, price_amount=Decimal("2.00")
    )
    client.force_login(client_user)
    # when
    responses = [
        client.get(reverse("messaging:unlock", args=[reply.pk])),
        client.post(reverse("messaging:unlock", args=[reply.pk])),
        client.get(reverse("messaging:unlock", args=[reply.pk + 1000])),
        client.get(reverse("messaging:older", args=[theirs.pk + 1000])),
    ]
    # then
    assert [r.status_code for r in responses] == [404, 404, 404, 404]
    reply.refresh_from_db()
    assert reply.unlocked_at is None


def test_views_reader_unlocks_own_paid_reply_404(client, client_user):
    # given: the reader tries to unlock their own paid reply
    conversation = conversation_with(client=client_user)
    reply = Message.objects.create(
        conversation=conversation, sender=conversation.reader, body="x", is_paid=True, price_amount=Decimal("2.00")
    )
    client.force_login(conversation.reader)
    # when
    response = client.post(reverse("messaging:unlock", args=[reply.pk]))
    # then
    assert response.status_code == 404
    reply.refresh_from_db()
    assert reply.unlocked_at is None


def test_views_unlock_with_frozen_wallet_400_clear_error_reveals_and_writes_nothing(client, client_user):
    # given: money in the wallet, but a payment dispute froze it
    from django.db import transaction

    from apps.wallet.models import Transaction
    from apps.wallet.services.ledger import account_freeze, wallet_account

    from .factories import fund_wallet, paid_reply

    conversation = conversation_with(client=client_user)
    reply = paid_reply(conversation, "FROZEN-SECRET", price=Decimal("2.00"))
    fund_wallet(client_user, Decimal("10.00"))
    with transaction.atomic():
        account_freeze(account=wallet_account(client_user), reason="Payment dispute dp_1")
    client.force_login(client_user)
    # when
    response = client.post(reverse("messaging:unlock", args=[reply.pk]))
    # then
    page = response.content.decode()
    assert response.status_code == 400
    assert "frozen while a payment dispute is open" in page and "FROZEN-SECRET" not in page
    reply.refresh_from_db()
    assert reply.unlocked_at is None and not Transaction.objects.filter(kind="paid_reply").exists()
    assert wallet_account(client_user).balance == Decimal("10.00")
