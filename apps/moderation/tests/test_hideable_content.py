"""Every registered kind of content (messages, reviews, reading chat lines) goes through the same journey, through
the real views: a party reports it, a moderator hides it from the report page, the parties see it hidden, a
moderator shows it again from the report page. Audited at each step; strangers get 404."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.tests.factories import AdminFactory, UserFactory, give_totp
from apps.core.models import AuditLog
from apps.messaging.models import Message
from apps.messaging.tests.factories import conversation_with
from apps.moderation import services
from apps.moderation.enums import ReportAction, ReportStatus
from apps.moderation.models import Report
from apps.notifications.models import Notification
from apps.readers.models import ReaderProfile
from apps.readings.models import Review, SessionMessage
from apps.readings.services import session_accept, session_end, session_finalize, session_request
from apps.readings.services.chat import session_message_post
from apps.readings.tests.helpers import credit, make_reader

pytestmark = pytest.mark.django_db

MESSAGE, REVIEW, CHAT = "messaging.message", "readings.review", "readings.chat_message"


def _browser(user) -> Client:
    browser = Client()
    if user is not None:
        browser.force_login(user)
    return browser


@pytest.fixture
def moderator():
    admin = AdminFactory()
    give_totp(admin)
    return admin


def _reading(client_user, *, finish: bool):
    reader = make_reader(rate=Decimal("1.00"))
    credit(client_user, Decimal("10.00"))
    session = session_request(client=client_user, reader=reader, modality="text")
    session = session_accept(reader=reader, session_id=session.pk)
    if finish:
        session_end(actor=client_user, session_id=session.pk)
        session = session_finalize(session_id=session.pk)
    return session, reader


def _report_via_view(browser: Client, type_key: str, object_id: int, reason: str = "harassment") -> Report:
    page = browser.get(reverse("moderation:report", args=[type_key, object_id]))
    assert page.status_code == 200
    response = browser.post(reverse("moderation:report", args=[type_key, object_id]), {"reason": reason})
    assert response.status_code == 302
    return Report.objects.get(reporter_id=response.wsgi_request.user.pk, object_id=object_id)


def _hide_via_report_page(browser: Client, report: Report, action: str = "hide") -> None:
    response = browser.post(
        reverse("moderation:report_detail", args=[report.pk]), {"action": action, "note": "Internal note"}
    )
    assert response.status_code == 302


def _unhide_via_report_page(browser: Client, report: Report, type_key: str) -> None:
    page = browser.get(reverse("moderation:report_detail", args=[report.pk])).content.decode()
    content_url = reverse("moderation:content", args=[type_key, report.object_id])
    assert f'action="{content_url}"' in page and "Show it again" in page
    response = browser.post(
        content_url,
        {
            "action": "unhide",
            "note": "Reported in bad faith",
            "next": reverse("moderation:report_detail", args=[report.pk]),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("moderation:report_detail", args=[report.pk])


# --- Messages -----------------------------------------------------------------------------------------------------


def test_report_hide_unhide_message_through_the_views(client_user, moderator):
    # given a reader's message to a client
    conversation = conversation_with(client=client_user)
    message = Message.objects.create(conversation=conversation, sender=conversation.reader, body="Rude words here")
    party, admin = _browser(client_user), _browser(moderator)
    thread = reverse("messaging:conversation", args=[conversation.pk])
    # when the client reports it and a moderator hides it
    report = _report_via_view(party, MESSAGE, message.pk)
    _hide_via_report_page(admin, report)
    # then both parties see it removed
    assert "Rude words here" not in party.get(thread).content.decode()
    assert "removed by a moderator" in _browser(conversation.reader).get(thread).content.decode()
    # when the moderator shows it again from the report page
    _unhide_via_report_page(admin, report, MESSAGE)
    # then it is back, the report keeps its history, and both decisions are audited
    message.refresh_from_db()
    report.refresh_from_db()
    assert not message.is_hidden and "Rude words here" in party.get(thread).content.decode()
    assert report.status == ReportStatus.RESOLVED and report.action == ReportAction.HIDE
    unhidden = AuditLog.objects.get(action="moderation.content_unhidden")
    assert unhidden.actor == moderator and unhidden.target_type == "messaging.message"
    assert unhidden.target_id == str(message.pk) and unhidden.details["note"] == "Reported in bad faith"
    assert AuditLog.objects.filter(action="moderation.report_resolved", target_id=str(report.pk)).count() == 1


# --- Reviews ------------------------------------------------------------------------------------------------------


def test_report_hide_unhide_review_through_the_views_warns_then_restores_author(client_user, moderator):
    # given a finished reading with a 1-star review, and the reader's rating counting it
    session, reader = _reading(client_user, finish=True)
    _browser(client_user).post(reverse("readings:review", args=[session.pk]), {"rating": "1", "body": "Fraud!"})
    review = Review.objects.get()
    profile = ReaderProfile.objects.get(user=reader)
    assert profile.rating_count == 1
    panel = reverse("readings:reviews_panel", args=[profile.pk])
    summary = reverse("readings:summary", args=[session.pk])
    reader_browser, admin = _browser(reader), _browser(moderator)
    report_url = reverse("moderation:report", args=[REVIEW, review.pk])
    assert report_url in reader_browser.get(summary).content.decode()
    # when the reader reports it from the summary and a moderator hides it with a warning
    report = _report_via_view(reader_browser, REVIEW, review.pk, reason="harassment")
    _hide_via_report_page(admin, report, action="warn")
    # then it leaves the public profile and the rating; the parties see the report's reason, not the note
    review.refresh_from_db()
    profile.refresh_from_db()
    assert review.is_hidden and review.hidden_by == moderator and profile.rating_count == 0
    assert "Fraud!" not in Client().get(panel).content.decode()
    client_summary = _browser(client_user).get(summary).content.decode()
    assert "A moderator hid this review: Harassment or abuse" in client_summary
    assert "Internal note" not in client_summary
    assert Notification.objects.filter(user=client_user, kind=services.MODERATION_WARNING_KIND).count() == 1
    # when the moderator shows it again from the report page
    _unhide_via_report_page(admin, report, REVIEW)
    # then it is public and counted again, its warned author is told, and the decision is audited
    review.refresh_from_db()
    profile.refresh_from_db()
    assert not review.is_hidden and review.hidden_reason == "" and review.hidden_by is None
    assert profile.rating_count == 1 and profile.rating_average == Decimal("1.00")
    assert "Fraud!" in Client().get(panel).content.decode()
    restored = Notification.objects.get(user=client_user, kind=services.MODERATION_RESTORED_KIND)
    assert "restored your review" in restored.title
    audit = AuditLog.objects.get(action="moderation.content_unhidden")
    assert audit.target_type == "livesessions.review" and audit.details["author_told"] is True


def test_report_review_from_public_profile_by_another_user(client_user, other_client_user):
    # given a visible review on a listed reader's profile
    session, reader = _reading(client_user, finish=True)
    review = Review.objects.create(session=session, client=client_user, reader=reader, rating=2, body="Meh and rude")
    profile = ReaderProfile.objects.get(user=reader)
    visitor = _browser(other_client_user)
    # when another signed-in user reads the profile's reviews and reports one
    panel = visitor.get(reverse("readings:reviews_panel", args=[profile.pk])).content.decode()
    assert reverse("moderation:report", args=[REVIEW, review.pk]) in panel
    report = _report_via_view(visitor, REVIEW, review.pk, reason="spam")
    # then it lands in the queue as a review
    assert report.target == review and report.is_open


@pytest.mark.parametrize("case", ["author", "hidden", "unlisted_reader"])
def test_report_review_not_visible_or_own_is_404_nothing_written(client_user, other_client_user, case):
    # given a review its author wants to report, a hidden one, or one of a reader who is no longer listed
    session, reader = _reading(client_user, finish=True)
    review = Review.objects.create(session=session, client=client_user, reader=reader, rating=1, body="Text")
    reporter = client_user if case == "author" else other_client_user
    if case == "hidden":
        Review.objects.filter(pk=review.pk).update(is_hidden=True, hidden_reason="Spam")
    if case == "unlisted_reader":
        ReaderProfile.objects.filter(user=reader).update(is_published=False)
    browser = _browser(reporter)
    # when
    url = reverse("moderation:report", args=[REVIEW, review.pk])
    responses = [browser.get(url), browser.post(url, {"reason": "spam"})]
    # then
    assert [r.status_code for r in responses] == [404, 404]
    assert not Report.objects.exists()


# --- Chat lines of a reading ----------------------------------------------------------------------------------------


def test_report_hide_unhide_chat_line_through_the_views(client_user, moderator):
    # given a live chat reading where the reader wrote something abusive
    session, reader = _reading(client_user, finish=False)
    line = session_message_post(sender=reader, session_id=session.pk, body="Send money to my PayPal")
    session_message_post(sender=client_user, session_id=session.pk, body="No thanks")
    party, admin = _browser(client_user), _browser(moderator)
    chat = reverse("readings:chat", args=[session.pk])
    report_url = reverse("moderation:report", args=[CHAT, line.pk])
    room_chat = party.get(chat).content.decode()
    assert room_chat.count("data-report-chat-message") == 1  # not on the client's own line
    # the report opens in a new tab and returns to the history, never to a second copy of the room
    assert f'{report_url}?next={reverse("readings:history")}" target="_blank"' in room_chat
    # when the client reports it from the room and a moderator hides it
    report = _report_via_view(party, CHAT, line.pk, reason="scam")
    assert f"Reading chat message #{line.pk}" in admin.get(reverse("moderation:queue")).content.decode()
    _hide_via_report_page(admin, report)
    # then both parties see "hidden by a moderator" in the room, the summary and the transcript, never the text
    for browser in (party, _browser(reader)):
        body = browser.get(chat).content.decode()
        assert "hidden by a moderator" in body and "PayPal" not in body and "No thanks" in body
    session_end(actor=client_user, session_id=session.pk)
    session_finalize(session_id=session.pk)
    summary = party.get(reverse("readings:summary", args=[session.pk])).content.decode()
    transcript = party.get(reverse("readings:transcript", args=[session.pk])).content.decode()
    assert "hidden by a moderator" in summary and "PayPal" not in summary
    assert "[hidden by a moderator]" in transcript and "PayPal" not in transcript
    # when the moderator shows it again from the report page
    _unhide_via_report_page(admin, report, CHAT)
    # then it is back in the transcript, and the decision is audited
    line.refresh_from_db()
    assert not line.is_hidden
    assert "PayPal" in party.get(reverse("readings:transcript", args=[session.pk])).content.decode()
    audit = AuditLog.objects.get(action="moderation.content_unhidden")
    assert audit.target_type == "livesessions.sessionmessage" and audit.target_id == str(line.pk)
    assert audit.details["author_told"] is True  # told when it was hidden, so told it is back


def test_report_chat_line_from_the_transcript_after_the_reading(client_user):
    # given a finished chat reading
    session, reader = _reading(client_user, finish=False)
    line = session_message_post(sender=client_user, session_id=session.pk, body="Creepy question")
    session_end(actor=client_user, session_id=session.pk)
    session_finalize(session_id=session.pk)
    reader_browser = _browser(reader)
    # when the reader reports the client's line from the summary's transcript
    summary = reader_browser.get(reverse("readings:summary", args=[session.pk])).content.decode()
    assert reverse("moderation:report", args=[CHAT, line.pk]) in summary
    report = _report_via_view(reader_browser, CHAT, line.pk, reason="inappropriate")
    # then
    assert report.target == line


@pytest.mark.parametrize("who", ["stranger", "author", "admin"])
def test_report_chat_line_by_non_party_or_author_is_404_nothing_written(client_user, moderator, who):
    # given a line the reader wrote in someone else's reading
    session, reader = _reading(client_user, finish=False)
    line = session_message_post(sender=reader, session_id=session.pk, body="Private words")
    reporter = {"stranger": UserFactory(), "author": reader, "admin": moderator}[who]
    browser = _browser(reporter)
    # when
    url = reverse("moderation:report", args=[CHAT, line.pk])
    responses = [browser.get(url), browser.post(url, {"reason": "spam"})]
    # then
    assert [r.status_code for r in responses] == [404, 404]
    assert not Report.objects.exists()
    assert not SessionMessage.objects.filter(hidden_at__isnull=False).exists()


# --- The moderators' content page -----------------------------------------------------------------------------------


def test_content_hide_closes_open_reports_and_audits(client_user, moderator):
    # given a chat line reported by the client
    session, reader = _reading(client_user, finish=False)
    line = session_message_post(sender=reader, session_id=session.pk, body="Abuse")
    report = services.report_create(reporter=client_user, type_key=CHAT, object_id=line.pk, reason="harassment")
    # when a moderator hides it from its content page
    response = _browser(moderator).post(
        reverse("moderation:content", args=[CHAT, line.pk]), {"action": "hide", "reason": "Abusive language"}
    )
    # then
    assert response.status_code == 302
    line.refresh_from_db()
    report.refresh_from_db()
    assert line.is_hidden and report.status == ReportStatus.RESOLVED and report.moderator == moderator
    audit = AuditLog.objects.get(action="moderation.content_hidden")
    assert audit.details["closed_report_ids"] == [report.pk] and audit.details["reason"] == "Abusive language"


def test_content_unhide_not_hidden_refused_nothing_changes(client_user, moderator):
    # given a shown message
    conversation = conversation_with(client=client_user)
    message = Message.objects.create(conversation=conversation, sender=conversation.reader, body="Fine words")
    # when a moderator asks to show it again
    response = _browser(moderator).post(reverse("moderation:content", args=[MESSAGE, message.pk]), {"action": "unhide"})
    # then
    assert response.status_code == 400 and "is not hidden" in response.content.decode()
    assert not AuditLog.objects.filter(action__startswith="moderation.").exists()


@pytest.mark.parametrize("type_key", ["messaging.nothing", MESSAGE])
def test_content_page_unknown_type_or_object_is_404(moderator, type_key):
    # when
    response = _browser(moderator).get(reverse("moderation:content", args=[type_key, 987654]))
    # then
    assert response.status_code == 404


def test_content_unhide_by_non_moderator_not_found_nothing_changes(client_user):
    # given a hidden message
    conversation = conversation_with(client=client_user)
    message = Message.objects.create(conversation=conversation, sender=conversation.reader, body="x")
    Message.objects.filter(pk=message.pk).update(hidden_at=message.created_at)
    # when a party tries the moderators' page
    response = _browser(client_user).post(
        reverse("moderation:content", args=[MESSAGE, message.pk]), {"action": "unhide"}
    )
    # then
    assert response.status_code == 404
    message.refresh_from_db()
    assert message.is_hidden


def test_content_page_anonymous_sent_to_sign_in_nothing_shown(client_user):
    # given a message someone could report
    conversation = conversation_with(client=client_user)
    message = Message.objects.create(conversation=conversation, sender=conversation.reader, body="private words")
    # when nobody is signed in
    response = _browser(None).get(reverse("moderation:content", args=[MESSAGE, message.pk]))
    # then
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_report_page_unknown_report_is_404(moderator):
    response = _browser(moderator).get(reverse("moderation:report_detail", args=[987654]))
    assert response.status_code == 404
