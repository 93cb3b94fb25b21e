"""A reading's chat line with a pending flag carries the moderation warning, like a forum post: in the room's chat
(every line the poller brings in) and in the transcript on the summary, for the other party (never the author, who
would learn who reported them), from the report until a moderator decides; one query for the flags of a whole
batch; the reading still nobody else's to open."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.accounts.tests.factories import AdminFactory, UserFactory
from apps.moderation import services as moderation
from apps.moderation.models import Report
from apps.readings.models import SessionMessage
from apps.readings.services import session_accept, session_end, session_finalize, session_request
from apps.readings.tests.helpers import credit, make_reader

pytestmark = pytest.mark.django_db
TYPE_KEY = "readings.chat_message"
WARNING = "This message has been reported and is waiting for a moderator's review."
LINE = "Pay me on PayPal instead, it is cheaper."


def _live_reading(client_user):
    reader = make_reader(rate=Decimal("1.00"))
    credit(client_user, Decimal("10.00"))
    session = session_request(client=client_user, reader=reader, modality="text")
    return session_accept(reader=reader, session_id=session.pk), reader


def _finish(session, actor) -> None:
    session_end(actor=actor, session_id=session.pk)
    session_finalize(session_id=session.pk)


def _flag(reporter, line: SessionMessage) -> Report:
    return moderation.report_create(reporter=reporter, type_key=TYPE_KEY, object_id=line.pk, reason="scam")


def _warnings(body: str, prefix: str = "chat-message") -> list[str]:
    return re.findall(rf'id="{prefix}-(\d+)-flagged" data-testid="chat-message-flagged"', body)


def _chat(client, session, after: int = 0) -> str:
    response = client.get(reverse("readings:chat", args=[session.pk]), {"after": str(after)})
    assert response.status_code == 200
    return response.content.decode()


def _assert_warned_line(body: str, element_id: str) -> None:
    """The warning is text inside the line's element, before its words, and the element names it."""
    assert WARNING in body
    item = body[body.index(f'<li id="{element_id}"') :]
    assert f'aria-describedby="{element_id}-flagged"' in item[: item.index(">")]
    assert item.index(f'id="{element_id}-flagged"') < item.index("PayPal") < item.index("</li>")


def test_chat_reported_line_warns_the_other_party_not_its_author_until_dismissed(client, client_user):
    # given a live chat reading: the client greets, the reader asks for an off-platform payment
    session, reader = _live_reading(client_user)
    hello = SessionMessage.objects.create(session=session, sender=client_user, body="Hello")
    line = SessionMessage.objects.create(session=session, sender=reader, body=LINE)
    for party in (client_user, reader):
        client.force_login(party)
        assert "chat-message-flagged" not in _chat(client, session), party

    # when the client reports the line from the room (the report opens in a new tab and returns to the history)
    client.force_login(client_user)
    response = client.post(
        reverse("moderation:report", args=[TYPE_KEY, line.pk]),
        {"reason": "scam", "next": reverse("readings:history")},
    )
    assert response.status_code == 302

    # then the client sees the warning beside that line only: in the whole chat the room loads, and when the
    # poller brings the line in after the one before it; the reader, its author, sees none (with two parties,
    # it would tell them who reported them)
    for party, warned in ((client_user, [str(line.pk)]), (reader, [])):
        client.force_login(party)
        for after in (0, hello.pk):
            body = _chat(client, session, after)
            assert _warnings(body) == warned, (party, after)
            assert "PayPal" in body and ('aria-describedby="chat-message-' in body) == bool(warned)
            if warned:
                _assert_warned_line(body, f"chat-message-{line.pk}")
        assert client.get(reverse("readings:room", args=[session.pk])).status_code == 200

    # when a moderator dismisses the flag, the warning goes for both
    moderation.report_decide(actor=AdminFactory(), report_id=Report.objects.get().pk, action="dismiss")
    for party in (client_user, reader):
        client.force_login(party)
        body = _chat(client, session)
        assert "chat-message-flagged" not in body and "PayPal" in body


def test_summary_transcript_reported_line_warns_the_other_party_until_dismissed(client, client_user):
    # given a finished chat reading, its reader's line not reported yet
    session, reader = _live_reading(client_user)
    line = SessionMessage.objects.create(session=session, sender=reader, body=LINE)
    _finish(session, client_user)
    summary = reverse("readings:summary", args=[session.pk])
    for party in (client_user, reader):
        client.force_login(party)
        assert "chat-message-flagged" not in client.get(summary).content.decode()
    # when the client reports it from the transcript
    report = _flag(client_user, line)
    # then the client sees the warning on that line of the transcript, the reader (its author) does not
    client.force_login(client_user)
    body = client.get(summary).content.decode()
    assert _warnings(body, "transcript-message") == [str(line.pk)]
    _assert_warned_line(body, f"transcript-message-{line.pk}")
    client.force_login(reader)
    body = client.get(summary).content.decode()
    assert _warnings(body, "transcript-message") == [] and "PayPal" in body
    # when a moderator dismisses the flag, it goes
    moderation.report_decide(actor=AdminFactory(), report_id=report.pk, action="dismiss")
    for party in (client_user, reader):
        client.force_login(party)
        body = client.get(summary).content.decode()
        assert "chat-message-flagged" not in body and "PayPal" in body


def test_chat_reported_line_hidden_by_a_moderator_shows_no_pending_warning(client, client_user):
    # given a reported line
    session, reader = _live_reading(client_user)
    report = _flag(client_user, SessionMessage.objects.create(session=session, sender=reader, body=LINE))
    # when a moderator hides it
    moderation.report_decide(actor=AdminFactory(), report_id=report.pk, action="hide", note="Off-platform payment")
    # then both parties read it as hidden, without the pending warning
    for party in (client_user, reader):
        client.force_login(party)
        body = _chat(client, session)
        assert "This message was hidden by a moderator." in body
        assert "chat-message-flagged" not in body and "PayPal" not in body


@pytest.mark.parametrize("name", ["room", "chat", "summary"])
def test_reading_with_a_reported_line_still_404_for_everyone_else(client, client_user, name):
    # given a reading with a reported line (finished for the summary)
    session, reader = _live_reading(client_user)
    _flag(client_user, SessionMessage.objects.create(session=session, sender=reader, body=LINE))
    if name == "summary":
        _finish(session, client_user)
    moderator = UserFactory()
    moderation.moderator_grant(actor=AdminFactory(), user=moderator)
    url = reverse(f"readings:{name}", args=[session.pk])
    # when / then another client, another reader, a moderator and an admin are told it does not exist
    for outsider in (UserFactory(), make_reader(), moderator, AdminFactory()):
        client.force_login(outsider)
        response = client.get(url, {"after": "0"} if name == "chat" else {})
        assert response.status_code == 404, outsider
        assert b"PayPal" not in response.content and b"chat-message-flagged" not in response.content


@pytest.mark.parametrize("side", ["client", "reader"])
@pytest.mark.parametrize("name", ["chat", "summary"])
def test_flagged_chat_lines_one_flag_query_for_one_or_five_lines(client, side, name):
    # given two readings, one with one reported line of the reader, one with five (one reporter each: the rate
    # limit allows five flags a minute)
    def reading(lines: int):
        session, reader = _live_reading(UserFactory())
        for n in range(lines):
            _flag(session.client, SessionMessage.objects.create(session=session, sender=reader, body=f"Line {n}"))
        if name == "summary":
            _finish(session, session.client)
        return session

    def measure(session) -> tuple[int, int, str]:
        client.force_login(session.client if side == "client" else session.reader)
        url = reverse(f"readings:{name}", args=[session.pk])
        params = {"after": "0"} if name == "chat" else {}
        client.get(url, params)  # warm per-process caches so both measurements start alike
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, params)
        assert response.status_code == 200
        flag_queries = [q["sql"] for q in captured.captured_queries if '"moderation_report"' in q["sql"]]
        return len(captured.captured_queries), len(flag_queries), response.content.decode()

    # when
    one_count, one_flag_queries, one_body = measure(reading(1))
    five_count, five_flag_queries, five_body = measure(reading(5))
    # then every reported line carries the warning for the client (never for the reader, its author), with the
    # same number of queries and one for the flags
    prefix = "chat-message" if name == "chat" else "transcript-message"
    shown = 1 if side == "client" else 0
    assert len(_warnings(one_body, prefix)) == shown and len(_warnings(five_body, prefix)) == 5 * shown
    assert one_count == five_count
    assert one_flag_queries == five_flag_queries == 1
