"""Flags (reports) and auto-hide: at ``MODERATION_AUTO_HIDE_FLAGS`` (3) distinct users with an open flag, content
is hidden by the system until a moderator reviews it; dismissing the flags shows it again."""

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from apps.accounts.tests.factories import AdminFactory, UserFactory
from apps.core.models import AuditLog
from apps.moderation import services
from apps.moderation.enums import AutoHideOutcome, ReportAction, ReportStatus
from apps.moderation.exceptions import AlreadyReported, ReportTargetNotFound
from apps.moderation.models import AutoHide, Report
from apps.moderation.selectors import flagged_object_ids
from apps.notifications.models import Notification
from apps.readings.models import Review
from apps.readings.services import session_accept, session_end, session_finalize, session_request
from apps.readings.tests.helpers import credit, make_reader
from tests.support.racing import race

REVIEW = "readings.review"


def _review(body: str = "This reader is a fraud") -> Review:
    client = UserFactory()
    reader = make_reader(rate=Decimal("1.00"))
    credit(client, Decimal("5.00"))
    session = session_request(client=client, reader=reader, modality="text")
    session_accept(reader=reader, session_id=session.pk)
    session_end(actor=client, session_id=session.pk)
    session_finalize(session_id=session.pk)
    return Review.objects.create(session=session, client=client, reader=reader, rating=1, body=body)


def _flag(user, review: Review, reason: str = "harassment") -> Report:
    return services.report_create(reporter=user, type_key=REVIEW, object_id=review.pk, reason=reason)


@pytest.mark.django_db
def test_report_create_third_distinct_flagger_hides_until_reviewed_audited_as_system():
    # given a shown review flagged by two members
    review = _review()
    flaggers = [UserFactory() for _ in range(3)]
    _flag(flaggers[0], review)
    _flag(flaggers[1], review, reason="spam")
    review.refresh_from_db()
    assert not review.is_hidden and not AutoHide.objects.exists()
    # when a third member flags it
    _flag(flaggers[2], review)
    # then it is hidden, the hiding is recorded and audited as the system's, and its author is told
    review.refresh_from_db()
    assert review.is_hidden and review.hidden_by is None
    pending = AutoHide.objects.get()
    assert pending.object_id == review.pk and pending.flag_count == 3 and pending.cleared_at is None
    audit = AuditLog.objects.get(action="moderation.content_auto_hidden")
    assert audit.actor is None and audit.details["by"] == "system" and audit.details["flag_count"] == 3
    assert Notification.objects.filter(user=review.client, kind="account.moderation_auto_hidden").count() == 1
    # and nobody else can flag it while it is hidden
    with pytest.raises(ReportTargetNotFound):
        _flag(UserFactory(), review)


@pytest.mark.django_db
def test_report_create_same_user_twice_counts_once_no_auto_hide():
    # given a review flagged by one member, who tries again, and by one more member
    review = _review()
    first, second = UserFactory(), UserFactory()
    _flag(first, review)
    with pytest.raises(AlreadyReported):
        _flag(first, review, reason="spam")
    _flag(second, review)
    # then two distinct flaggers: still shown
    review.refresh_from_db()
    assert not review.is_hidden
    assert Report.objects.filter(object_id=review.pk).count() == 2
    assert not AutoHide.objects.exists()


@pytest.mark.django_db
def test_report_decide_dismiss_auto_hidden_shows_it_again_and_dismisses_every_flag():
    # given a review the system hid after three flags
    review = _review()
    reports = [_flag(UserFactory(), review) for _ in range(3)]
    moderator = AdminFactory()
    # when a moderator dismisses the flags
    services.report_decide(actor=moderator, report_id=reports[1].pk, action="dismiss", note="Fair criticism")
    # then it is shown again, every flag is dismissed, the hiding is cleared and the author told
    review.refresh_from_db()
    assert not review.is_hidden
    assert set(Report.objects.values_list("status", flat=True)) == {ReportStatus.DISMISSED}
    pending = AutoHide.objects.get()
    assert pending.cleared_by == moderator and pending.outcome == AutoHideOutcome.DISMISSED
    audit = AuditLog.objects.get(action="moderation.report_dismissed")
    assert audit.details["shown_again"] is True and len(audit.details["closed_report_ids"]) == 3
    assert Notification.objects.filter(user=review.client, kind="account.moderation_restored").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("action", [ReportAction.HIDE, ReportAction.DELETE, ReportAction.WARN])
def test_report_decide_resolves_auto_hidden_keeps_it_hidden_and_tells_author(action):
    # given a review the system hid
    review = _review()
    reports = [_flag(UserFactory(), review) for _ in range(3)]
    # when a moderator hides it, deletes it (a review has no delete: hidden) or warns its author
    services.report_decide(actor=AdminFactory(), report_id=reports[0].pk, action=action)
    # then it stays hidden, the reports are resolved, the auto-hide is cleared, the author is told by email too
    review.refresh_from_db()
    assert review.is_hidden
    assert set(Report.objects.values_list("status", "action")) == {(ReportStatus.RESOLVED, action)}
    assert AutoHide.objects.get().outcome == AutoHideOutcome.RESOLVED
    told = Notification.objects.get(user=review.client, kind="account.moderation_warning")
    assert told.email_requested
    audit = AuditLog.objects.get(action="moderation.report_resolved")
    assert audit.details.get("deleted_as_hidden", False) is (action == ReportAction.DELETE)


@pytest.mark.django_db
def test_content_unhide_from_history_of_auto_hidden_dismisses_open_flags():
    # given a review the system hid
    review = _review()
    for _ in range(3):
        _flag(UserFactory(), review)
    # when a moderator shows it again from its content page
    services.content_unhide(actor=AdminFactory(), type_key=REVIEW, object_id=review.pk, note="Fine")
    # then it is shown and its flags dismissed
    review.refresh_from_db()
    assert not review.is_hidden
    assert set(Report.objects.values_list("status", flat=True)) == {ReportStatus.DISMISSED}
    assert AutoHide.objects.get().outcome == AutoHideOutcome.UNHIDDEN


@pytest.mark.django_db
def test_flagged_object_ids_pending_only_one_query(django_assert_num_queries):
    # given three reviews: one with an open flag, one whose flag was dismissed, one never flagged
    flagged, dismissed, clean = _review(), _review(), _review()
    _flag(UserFactory(), flagged)
    report = _flag(UserFactory(), dismissed)
    services.report_decide(actor=AdminFactory(), report_id=report.pk, action="dismiss")
    ContentType.objects.get_for_model(Review)  # the content type cache is warm on a real page
    # when / then
    with django_assert_num_queries(1):
        found = flagged_object_ids(type_key=REVIEW, object_ids=[flagged.pk, dismissed.pk, clean.pk])
    assert found == {flagged.pk}
    with django_assert_num_queries(0):
        assert flagged_object_ids(type_key=REVIEW, object_ids=[]) == set()
    assert flagged_object_ids(type_key="nothing.here", object_ids=[flagged.pk]) == set()


@pytest.mark.django_db
def test_report_view_sixth_flag_in_a_minute_answers_429_with_message(client):
    # given six reviews and a member who flags them one after the other
    reviews = [_review() for _ in range(6)]
    member = UserFactory()
    client.force_login(member)
    # when
    answers = [
        client.post(reverse("moderation:report", args=[REVIEW, review.pk]), {"reason": "spam"}) for review in reviews
    ]
    # then
    assert [answer.status_code for answer in answers] == [302] * 5 + [429]
    assert "several reports in the last minute" in answers[5].content.decode()
    assert Report.objects.filter(reporter=member).count() == 5


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_report_create_third_and_fourth_flag_at_once_hide_once():
    # given a review with two flags
    review = _review()
    _flag(UserFactory(), review)
    _flag(UserFactory(), review)
    third, fourth = UserFactory(), UserFactory()
    # when two more members flag it at the same moment
    outcomes = race(lambda: _flag(third, review), lambda: _flag(fourth, review))
    # then it is hidden once, with one record and one audit row (a flag that arrives after the hiding is refused
    # as the review is no longer shown, or counts toward the same hiding)
    assert any(isinstance(outcome, Report) for outcome in outcomes)
    review.refresh_from_db()
    assert review.is_hidden
    assert AutoHide.objects.count() == 1
    assert AuditLog.objects.filter(action="moderation.content_auto_hidden").count() == 1


@pytest.mark.django_db
def test_reviews_panel_warns_beside_a_review_with_a_pending_flag_only(client):
    # given a reader's two reviews, one flagged
    from apps.readers.models import ReaderProfile

    flagged = _review("Flagged words")
    other_session_review = _review("Calm words")
    Review.objects.filter(pk=other_session_review.pk).update(reader=flagged.reader)
    report = _flag(UserFactory(), flagged)
    panel = reverse("readings:reviews_panel", args=[ReaderProfile.objects.get(user=flagged.reader).pk])
    # when / then the warning is beside the flagged one
    body = client.get(panel).content.decode()
    assert body.count('data-testid="review-flagged"') == 1
    assert body.index("review-flagged") < body.index("Flagged words")
    # in the words every reported item shows, named by the review's own element
    assert "This review has been reported and is waiting for a moderator's review." in body
    assert f'aria-describedby="review-{flagged.pk}-flagged"' in body and f'id="review-{flagged.pk}-flagged"' in body
    # when a moderator dismisses the flag, the warning goes
    services.report_decide(actor=AdminFactory(), report_id=report.pk, action="dismiss")
    assert 'data-testid="review-flagged"' not in client.get(panel).content.decode()
