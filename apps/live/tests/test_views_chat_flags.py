"""A stream chat line with a pending flag carries the moderation warning, like a forum post: in the chat the stream
page and the host's page load and in every poll of it, for everyone in the chat, from the report until a moderator
decides; a line a moderator hid still vanishes; one query for the flags of the whole window; the chat still closed
to whoever may not watch the stream."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.accounts.tests.factories import AdminFactory, UserFactory
from apps.live.enums import Visibility
from apps.live.models import Stream, StreamMessage
from apps.live.services.chat import chat_post
from apps.live.services.payments import ticket_buy
from apps.live.services.streams import stream_invite, viewer_heartbeat, viewer_remove
from apps.moderation import services as moderation
from apps.moderation.models import Report

from .factories import follower_of, funded, live_stream

pytestmark = pytest.mark.django_db
TYPE_KEY = "live.chat_message"
WARNING = "This message has been reported and is waiting for a moderator's review."
LINE = "Pay me on PayPal instead, it is cheaper."


def _as(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def _say(user, stream: Stream, body: str) -> StreamMessage:
    return chat_post(actor=user, stream=stream, body=body)


def _flag(reporter, line: StreamMessage) -> Report:
    return moderation.report_create(reporter=reporter, type_key=TYPE_KEY, object_id=line.pk, reason="scam")


def _chat(user, stream: Stream) -> str:
    response = _as(user).get(reverse("live:chat", args=[stream.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _warnings(body: str) -> list[str]:
    return re.findall(r'id="stream-chat-message-(\d+)-flagged" data-testid="chat-message-flagged"', body)


def _assert_warned_line(body: str, line: StreamMessage) -> None:
    """The warning is text inside the line's own list item, before its words, and the item names it."""
    element_id = f"stream-chat-message-{line.pk}"
    assert WARNING in body
    item = body[body.index(f'<li id="{element_id}"') :]
    assert f'aria-describedby="{element_id}-flagged"' in item[: item.index(">")]
    assert item.index(f'id="{element_id}-flagged"') < item.index("PayPal") < item.index("</li>")
    assert body.count('aria-describedby="stream-chat-message-') == 1


def test_chat_reported_line_warns_everyone_in_the_chat_from_the_report_until_dismissed():
    # given a live stream whose chat a viewer opens (the page loads the chat from the chat URL, then polls it)
    stream = live_stream()
    author, reporter, onlooker = UserFactory(), UserFactory(), UserFactory()
    viewer_heartbeat(actor=onlooker, stream=stream)
    page = _as(onlooker).get(reverse("live:stream", args=[stream.pk])).content.decode()
    chat_url = reverse("live:chat", args=[stream.pk])
    assert f'hx-get="{chat_url}" hx-trigger="load' in page
    host_page = _as(stream.host).get(reverse("live:host", args=[stream.pk])).content.decode()
    assert f'hx-get="{chat_url}" hx-trigger="load' in host_page
    hello = _say(stream.host, stream, "Welcome, everyone")
    assert "chat-message-flagged" not in _chat(onlooker, stream)

    # when a viewer's line comes in, nobody has reported it yet
    line = _say(author, stream, LINE)
    everyone = (author, reporter, onlooker, stream.host)
    for user in everyone:
        body = _chat(user, stream)
        assert "PayPal" in body and "chat-message-flagged" not in body, user
        assert "aria-describedby" not in body

    # when another viewer reports it through the report form (opened from the chat, back to the Live page)
    response = _as(reporter).post(
        reverse("moderation:report", args=[TYPE_KEY, line.pk]), {"reason": "scam", "next": reverse("live:home")}
    )
    assert response.status_code == 302 and response["Location"] == reverse("live:home")

    # then everyone in the chat (its author, the reporter, another viewer and the host, on the stream page's and the
    # host page's chat) sees the warning in words on that line only
    for user in everyone:
        body = _chat(user, stream)
        assert _warnings(body) == [str(line.pk)], user
        _assert_warned_line(body, line)
        assert f'id="stream-chat-message-{hello.pk}"' in body

    # when the chat moves on, the next poll still brings the reported line in, warned once
    later = _say(onlooker, stream, "Thank you for the reading")
    body = _chat(onlooker, stream)
    assert _warnings(body) == [str(line.pk)]
    assert f'id="stream-chat-message-{later.pk}"' in body

    # when a moderator dismisses the flag, the warning goes for everyone; the line stays
    moderation.report_decide(actor=AdminFactory(), report_id=Report.objects.get().pk, action="dismiss")
    for user in everyone:
        body = _chat(user, stream)
        assert "chat-message-flagged" not in body and "PayPal" in body, user
        assert "aria-describedby" not in body


def test_chat_line_reported_after_the_page_opened_is_warned_in_the_poll_that_brings_it_in():
    # given a viewer with the chat open before the line is written
    stream = live_stream()
    viewer, author = UserFactory(), UserFactory()
    _say(stream.host, stream, "Welcome, everyone")
    assert "PayPal" not in _chat(viewer, stream)
    # when the line is written and reported before the viewer's next poll
    line = _say(author, stream, LINE)
    _flag(viewer, line)
    # then that poll brings the line in with its warning
    body = _chat(viewer, stream)
    assert _warnings(body) == [str(line.pk)]
    _assert_warned_line(body, line)


def test_chat_reported_line_hidden_by_a_moderator_vanishes_without_the_warning():
    # given a reported line
    stream = live_stream()
    author, reporter = UserFactory(), UserFactory()
    report = _flag(reporter, _say(author, stream, LINE))
    _say(stream.host, stream, "Welcome, everyone")
    # when a moderator hides it
    moderation.report_decide(actor=AdminFactory(), report_id=report.pk, action="hide", note="Off-platform payment")
    # then it is gone from everyone's chat, as every hidden stream chat line is, and no warning is left behind
    for user in (author, reporter, stream.host):
        body = _chat(user, stream)
        assert "Welcome, everyone" in body
        assert "PayPal" not in body and "chat-message-flagged" not in body and "aria-describedby" not in body


def test_private_stream_chat_warns_the_invited_and_stays_404_for_strangers():
    # given a private stream with a reported line of an invited follower
    stream = live_stream(visibility=Visibility.PRIVATE)
    invited, author = follower_of(stream.host), follower_of(stream.host)
    for user in (invited, author):
        stream_invite(actor=stream.host, stream_id=stream.pk, user_id=user.pk)
    line = _say(author, stream, LINE)
    _flag(invited, line)
    # then the invited see the warning
    assert _warnings(_chat(invited, stream)) == [str(line.pk)]
    # when / then a stranger, a moderator and an admin, none of them invited, are told neither page exists
    moderator = UserFactory()
    moderation.moderator_grant(actor=AdminFactory(), user=moderator)
    for outsider in (UserFactory(), follower_of(stream.host), moderator, AdminFactory()):
        browser = _as(outsider)
        for url in (reverse("live:stream", args=[stream.pk]), reverse("live:chat", args=[stream.pk])):
            response = browser.get(url)
            assert response.status_code == 404, (outsider, url)
            assert b"PayPal" not in response.content and b"chat-message-flagged" not in response.content


def test_premium_stream_chat_warns_ticket_holders_only_and_refuses_the_rest():
    # given a premium stream with a reported line of a ticket holder
    stream = live_stream(visibility=Visibility.PREMIUM, price="5.00")
    holder, author, without_ticket, removed = funded(), funded(), funded(), funded()
    for user in (holder, author, removed):
        ticket_buy(actor=user, stream_id=stream.pk)
    viewer_heartbeat(actor=removed, stream=stream)
    line = _say(author, stream, LINE)
    _flag(holder, line)
    viewer_remove(actor=stream.host, stream_id=stream.pk, user_id=removed.pk)
    # then a ticket holder sees the warning
    assert _warnings(_chat(holder, stream)) == [str(line.pk)]
    # when / then someone without a ticket gets the ticket offer and 404 for the chat, a removed viewer is told
    # so and refused the chat (403); neither reads the line or its warning
    for user, page_status, chat_status in ((without_ticket, 200, 404), (removed, 200, 403)):
        browser = _as(user)
        page = browser.get(reverse("live:stream", args=[stream.pk]))
        chat = browser.get(reverse("live:chat", args=[stream.pk]))
        assert (page.status_code, chat.status_code) == (page_status, chat_status), user
        for response in (page, chat):
            assert b"PayPal" not in response.content and b"chat-message-flagged" not in response.content


@pytest.mark.parametrize("side", ["viewer", "host"])
def test_flagged_chat_lines_one_flag_query_for_one_or_five_lines(side):
    # given two streams, one with one reported line, one with five (one reporter each: the rate limit allows
    # five flags a minute), among unreported lines
    def stream_with(reported: int) -> tuple[Stream, object]:
        stream = live_stream()
        viewer = UserFactory()
        _say(stream.host, stream, "Welcome, everyone")
        for n in range(reported):
            _flag(UserFactory(), _say(UserFactory(), stream, f"Line {n}"))
        _say(viewer, stream, "Hello from the audience")
        return stream, viewer if side == "viewer" else stream.host

    def measure(stream: Stream, user) -> tuple[int, int, str]:
        browser = _as(user)
        url = reverse("live:chat", args=[stream.pk])
        browser.get(url)  # warm per-process caches so both measurements start alike
        with CaptureQueriesContext(connection) as captured:
            response = browser.get(url)
        assert response.status_code == 200
        flag_queries = [q["sql"] for q in captured.captured_queries if '"moderation_report"' in q["sql"]]
        return len(captured.captured_queries), len(flag_queries), response.content.decode()

    # when
    one_count, one_flag_queries, one_body = measure(*stream_with(1))
    five_count, five_flag_queries, five_body = measure(*stream_with(5))
    # then every reported line carries the warning, with the same number of queries and one for the flags
    assert len(_warnings(one_body)) == 1 and len(_warnings(five_body)) == 5
    assert one_count == five_count
    assert one_flag_queries == five_flag_queries == 1
