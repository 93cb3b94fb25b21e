"""A message with a pending flag carries the moderation warning, like a forum post: on the conversation page, in
the earlier messages loaded on demand and in the lines polled in, for the other person of the conversation (never
the author, who would learn who reported them), from the report until a moderator decides; one query for the
flags of a whole page; still nobody else's to open."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.accounts.tests.factories import AdminFactory, UserFactory
from apps.messaging.models import Message
from apps.moderation import services as moderation
from apps.moderation.models import Report

from .factories import conversation_with

pytestmark = pytest.mark.django_db
TYPE_KEY = "messaging.message"
WARNING = "This message has been reported and is waiting for a moderator's review."
LINE = "Pay me on PayPal instead, it is cheaper."


def _pages(conversation, before_id: int) -> dict[str, str]:
    """The conversation page and its two partials, each asked for the messages from ``before_id`` on."""
    return {
        "page": reverse("messaging:conversation", args=[conversation.pk]),
        "older": reverse("messaging:older", args=[conversation.pk]) + f"?before={10**9}",
        "poll": reverse("messaging:poll", args=[conversation.pk]) + f"?after={before_id}",
    }


def _flag(reporter, message: Message) -> Report:
    return moderation.report_create(reporter=reporter, type_key=TYPE_KEY, object_id=message.pk, reason="scam")


def _warnings(body: str) -> list[str]:
    return re.findall(r'id="message-(\d+)-flagged" data-testid="message-flagged"', body)


def test_views_reported_message_warns_the_other_person_not_its_author_until_dismissed(client, client_user):
    # given a reader's message in a conversation, not yet reported
    conversation = conversation_with(client=client_user)
    reader = conversation.reader
    first = conversation.messages.get()
    line = Message.objects.create(conversation=conversation, sender=reader, body=LINE)
    urls = _pages(conversation, first.pk)
    for party in (client_user, reader):
        client.force_login(party)
        for url in urls.values():
            assert "message-flagged" not in client.get(url).content.decode(), (party, url)

    # when the client reports it from the conversation (the report form returns there)
    client.force_login(client_user)
    response = client.post(
        reverse("moderation:report", args=[TYPE_KEY, line.pk]),
        {"reason": "scam", "next": urls["page"]},
    )
    assert response.status_code == 302 and response["Location"] == urls["page"]

    # then the client sees the warning in words beside that line only, named by the line, on the page, in the
    # earlier messages and in a poll that brings the line in; the reader, its author, sees none (in a conversation
    # of two it would tell them who reported them)
    client.force_login(reader)
    for name, url in urls.items():
        body = client.get(url).content.decode()
        assert _warnings(body) == [] and "PayPal" in body and 'aria-describedby="message-' not in body, name
    for party in (client_user,):
        client.force_login(party)
        for name, url in urls.items():
            body = client.get(url).content.decode()
            assert _warnings(body) == [str(line.pk)], (party, name)
            assert WARNING in body
            assert f'<li id="message-{line.pk}"' in body
            item = body[body.index(f'<li id="message-{line.pk}"') :]
            assert f'aria-describedby="message-{line.pk}-flagged"' in item[: item.index(">")]
            assert item.index("message-flagged") < item.index("PayPal") < item.index("</li>")
            assert body.count('aria-describedby="message-') == 1

    # when a moderator dismisses the flag, the warning goes for both
    moderation.report_decide(actor=AdminFactory(), report_id=Report.objects.get().pk, action="dismiss")
    for party in (client_user, reader):
        client.force_login(party)
        for url in urls.values():
            body = client.get(url).content.decode()
            assert "message-flagged" not in body and "PayPal" in body


def test_views_reported_message_hidden_by_a_moderator_shows_no_pending_warning(client, client_user):
    # given a reported message
    conversation = conversation_with(client=client_user)
    line = Message.objects.create(conversation=conversation, sender=conversation.reader, body=LINE)
    report = _flag(client_user, line)
    # when a moderator hides it
    moderation.report_decide(actor=AdminFactory(), report_id=report.pk, action="hide", note="Off-platform payment")
    # then both see it removed, without the pending warning
    for party in (client_user, conversation.reader):
        client.force_login(party)
        body = client.get(reverse("messaging:conversation", args=[conversation.pk])).content.decode()
        assert "This message was removed by a moderator." in body
        assert "message-flagged" not in body and "PayPal" not in body


def test_views_reported_message_still_404_for_everyone_else(client, client_user):
    # given a reported message
    conversation = conversation_with(client=client_user)
    line = Message.objects.create(conversation=conversation, sender=conversation.reader, body=LINE)
    _flag(client_user, line)
    moderator = UserFactory()
    moderation.moderator_grant(actor=AdminFactory(), user=moderator)
    # when / then another client, another reader, a moderator and an admin are told it does not exist
    for outsider in (UserFactory(), conversation_with().reader, moderator, AdminFactory()):
        client.force_login(outsider)
        for url in _pages(conversation, 0).values():
            response = client.get(url)
            assert response.status_code == 404, (outsider, url)
            assert b"PayPal" not in response.content and b"message-flagged" not in response.content


@pytest.mark.parametrize("side", ["client", "reader"])
@pytest.mark.parametrize("name", ["page", "older", "poll"])
def test_views_flagged_messages_one_flag_query_for_one_or_five_lines(client, side, name):
    # given two conversations, one with one reported reply, one with five (one reporter each: the rate limit
    # allows five flags a minute)
    def thread(lines: int):
        conversation = conversation_with()
        first = conversation.messages.get()
        for n in range(lines):
            _flag(
                conversation.client,
                Message.objects.create(conversation=conversation, sender=conversation.reader, body=f"Line {n}"),
            )
        return conversation, first

    def measure(conversation, first) -> tuple[int, int, str]:
        client.force_login(conversation.client if side == "client" else conversation.reader)
        url = _pages(conversation, first.pk)[name]
        client.get(url)  # warm per-process caches so both measurements start alike
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        flag_queries = [q["sql"] for q in captured.captured_queries if '"moderation_report"' in q["sql"]]
        return len(captured.captured_queries), len(flag_queries), response.content.decode()

    # when
    one_count, one_flag_queries, one_body = measure(*thread(1))
    five_count, five_flag_queries, five_body = measure(*thread(5))
    # then every reported line carries the warning for the client (never for the reader, its author), with the
    # same number of queries and one for the flags
    shown = 1 if side == "client" else 0
    assert len(_warnings(one_body)) == shown and len(_warnings(five_body)) == 5 * shown
    assert one_count == five_count
    assert one_flag_queries == five_flag_queries == 1
