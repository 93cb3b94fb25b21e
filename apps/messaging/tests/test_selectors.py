from decimal import Decimal

import pytest

from apps.messaging import selectors, services
from apps.messaging.models import Message

from .factories import conversation_with, fund_wallet, paid_reply

pytestmark = pytest.mark.django_db
SECRET = "SECRET-ANSWER-42"


@pytest.fixture
def locked(client_user):
    conversation = conversation_with(client=client_user)
    reply = paid_reply(conversation, f"Your {SECRET} is here", price=Decimal("2.00"))
    return conversation, reply


def _everything_the_client_can_read(client_user, conversation, reply) -> str:
    items, _ = selectors.message_page(viewer=client_user, conversation_id=conversation.pk)
    new = selectors.message_new_list(viewer=client_user, conversation_id=conversation.pk, after_id=0)
    one = selectors.message_get(viewer=client_user, message_id=reply.pk)
    listing = selectors.conversation_items(
        viewer=client_user, conversations=selectors.conversation_list(viewer=client_user)
    )
    found = list(selectors.message_search(viewer=client_user, query=SECRET))
    return repr((items, new, one, listing, found))


def test_selectors_locked_paid_reply_text_never_reaches_the_client(client_user, locked):
    # given
    conversation, reply = locked
    # when
    seen = _everything_the_client_can_read(client_user, conversation, reply)
    # then
    assert SECRET not in seen
    item = selectors.message_get(viewer=client_user, message_id=reply.pk)
    assert item.is_locked_for_me and item.body == "" and item.price_amount == Decimal("2.00")


def test_selectors_locked_paid_reply_text_visible_to_its_author(locked):
    # given
    conversation, reply = locked
    # when
    item = selectors.message_get(viewer=conversation.reader, message_id=reply.pk)
    found = list(selectors.message_search(viewer=conversation.reader, query=SECRET))
    # then
    assert SECRET in item.body and not item.is_locked_for_me
    assert [row["id"] for row in found] == [reply.pk]


def test_selectors_unlocked_paid_reply_text_visible_to_client(client_user, locked):
    # given
    conversation, reply = locked
    fund_wallet(client_user, Decimal("2.00"))
    services.message_unlock(actor=client_user, message_id=reply.pk)
    # when
    seen = _everything_the_client_can_read(client_user, conversation, reply)
    # then
    assert SECRET in seen


def test_selectors_hidden_message_text_reaches_nobody(client_user, locked):
    # given
    conversation, reply = locked
    Message.objects.filter(pk=reply.pk).update(hidden_at=reply.created_at)
    # when
    for_reader = selectors.message_get(viewer=conversation.reader, message_id=reply.pk)
    found = list(selectors.message_search(viewer=conversation.reader, query=SECRET))
    # then
    assert for_reader.body == "" and for_reader.is_hidden
    assert found == []


def test_conversation_list_newest_first_with_unread_counts(client_user):
    # given
    older = conversation_with(client=client_user)
    newer = conversation_with(client=client_user)
    services.reader_reply_send(actor=older.reader, conversation_id=older.pk, body="One")
    services.reader_reply_send(actor=older.reader, conversation_id=older.pk, body="Two")
    services.reader_reply_send(actor=newer.reader, conversation_id=newer.pk, body="Three")
    # when
    items = selectors.conversation_items(
        viewer=client_user, conversations=selectors.conversation_list(viewer=client_user)
    )
    # then
    assert [(item.id, item.unread_count, item.preview) for item in items] == [
        (newer.pk, 1, "Three"),
        (older.pk, 2, "Two"),
    ]
    assert selectors.unread_total(viewer=client_user) == 3
    assert selectors.unread_total(viewer=older.reader) == 1


def test_message_page_pages_upwards(client_user):
    # given
    conversation = conversation_with(client=client_user, first_message="m0")
    for index in range(1, 7):
        Message.objects.create(conversation=conversation, sender=client_user, body=f"m{index}")
    # when
    latest, has_older = selectors.message_page(viewer=client_user, conversation_id=conversation.pk, size=4)
    earlier, has_more = selectors.message_page(
        viewer=client_user, conversation_id=conversation.pk, before_id=latest[0].id, size=4
    )
    # then
    assert [item.body for item in latest] == ["m3", "m4", "m5", "m6"] and has_older
    assert [item.body for item in earlier] == ["m0", "m1", "m2"] and not has_more


def test_message_search_only_own_conversations(client_user, other_client_user):
    # given
    conversation_with(client=client_user, first_message="my moon question")
    conversation_with(client=other_client_user, first_message="their moon question")
    # when
    found = list(selectors.message_search(viewer=client_user, query="moon"))
    # then
    assert [row["visible_body"] for row in found] == ["my moon question"]


@pytest.mark.parametrize("query", ["", " ", "a"])
def test_message_search_query_too_short_finds_nothing_without_error(client_user, query):
    # given: a query below the minimum length (the search page opened without one)
    conversation_with(client=client_user, first_message="my moon question")
    # when
    found = list(selectors.message_search(viewer=client_user, query=query))
    # then
    assert found == []


def test_message_search_page_without_query_renders(client, client_user):
    from django.urls import reverse

    client.force_login(client_user)
    assert client.get(reverse("messaging:search")).status_code == 200
