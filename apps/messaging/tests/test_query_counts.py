"""Inbox, conversation, search and polling run a constant number of queries however many rows they show."""

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.accounts.tests.factories import UserFactory
from apps.messaging.models import Message
from apps.messaging.services import message_unlock
from apps.messaging.tests.factories import conversation_with, fund_wallet, listed_reader, paid_reply

pytestmark = pytest.mark.django_db
FEW, MANY = 1, 12


def _queries(get: Callable[[], object]) -> int:
    get()  # warm per-process caches so both measurements start alike
    with CaptureQueriesContext(connection) as captured:
        response = get()
    assert response.status_code == 200  # type: ignore[attr-defined]
    return len(captured.captured_queries)


def _thread(client, reader, rows: int):
    """A conversation with ``rows`` rounds: a client message, a free reply, a locked and an unlocked paid reply."""
    conversation = conversation_with(client=client, reader=reader, first_message="Hello crystal ball")
    fund_wallet(client, Decimal("100.00"))
    for n in range(rows):
        Message.objects.create(conversation=conversation, sender=client, body=f"crystal question {n}")
        Message.objects.create(conversation=conversation, sender=reader, body=f"crystal free answer {n}")
        paid_reply(conversation, f"crystal locked answer {n}")
        message_unlock(actor=client, message_id=paid_reply(conversation, f"crystal paid answer {n}").pk)
    return conversation


def test_inbox_client_many_conversations_same_queries_as_few(client):
    # given: each conversation with its own (listed) reader, the last message a locked paid reply
    few, many = UserFactory(), UserFactory()
    for _ in range(FEW):
        paid_reply(conversation_with(client=few), "locked")
    for _ in range(MANY):
        paid_reply(conversation_with(client=many), "locked")
    # when
    client.force_login(few)
    few_count = _queries(lambda: client.get(reverse("messaging:inbox")))
    client.force_login(many)
    many_count = _queries(lambda: client.get(reverse("messaging:inbox")))
    # then
    assert many_count == few_count


def test_inbox_reader_many_conversations_same_queries_as_few(client):
    # given
    few, many = listed_reader().user, listed_reader().user
    for _ in range(FEW):
        conversation_with(reader=few)
    for _ in range(MANY):
        conversation_with(reader=many)
    # when
    client.force_login(few)
    few_count = _queries(lambda: client.get(reverse("messaging:inbox")))
    client.force_login(many)
    many_count = _queries(lambda: client.get(reverse("messaging:inbox")))
    # then
    assert many_count == few_count


@pytest.mark.parametrize("side", ["client", "reader"])
@pytest.mark.parametrize("page", ["messaging:conversation", "messaging:older", "messaging:poll", "messaging:search"])
def test_conversation_pages_many_messages_same_queries_as_few(client, side, page):
    # given
    reader = listed_reader().user
    few = _thread(UserFactory(), reader, FEW)
    many = _thread(UserFactory(), reader, MANY)

    def get(conversation):
        client.force_login(conversation.client if side == "client" else reader)
        if page == "messaging:search":
            return client.get(reverse(page), {"q": "crystal"})
        params = {"before": 10**9} if page == "messaging:older" else {"after": 0} if page == "messaging:poll" else {}
        return client.get(reverse(page, args=[conversation.pk]), params)

    # when
    few_count = _queries(lambda: get(few))
    many_count = _queries(lambda: get(many))
    # then
    assert many_count == few_count
