from decimal import Decimal

import pytest
from django.urls import reverse

from apps.accounts.tests.factories import ReaderFactory, UserFactory, give_totp
from apps.core.exceptions import PermissionDeniedError, RateLimitedError
from apps.core.models import AuditLog
from apps.messaging.models import Message
from apps.messaging.tests.factories import conversation_with, paid_reply
from apps.moderation import services
from apps.moderation.enums import ReportStatus
from apps.moderation.exceptions import AlreadyReported, ReportAlreadyClosed, ReportTargetNotFound
from apps.moderation.models import Report
from apps.notifications.models import Notification

pytestmark = pytest.mark.django_db
KEY = "messaging.message"


def _reply(conversation, body="Rude words"):
    return Message.objects.create(conversation=conversation, sender=conversation.reader, body=body)


def test_report_create_by_recipient_lands_in_queue(client_user):
    # given
    conversation = conversation_with(client=client_user)
    message = _reply(conversation)
    # when
    report = services.report_create(reporter=client_user, type_key=KEY, object_id=message.pk, reason="harassment")
    # then
    assert report.status == ReportStatus.OPEN and report.target == message


def test_report_create_reader_reports_client_message(client_user):
    # given
    conversation = conversation_with(client=client_user)
    message = conversation.messages.get()
    # when
    report = services.report_create(reporter=conversation.reader, type_key=KEY, object_id=message.pk, reason="spam")
    # then
    assert report.reporter == conversation.reader


@pytest.mark.parametrize("who", ["stranger", "author"])
def test_report_create_by_outsider_or_author_not_found(client_user, who):
    # given
    conversation = conversation_with(client=client_user)
    message = _reply(conversation)
    reporter = UserFactory() if who == "stranger" else conversation.reader
    # when / then
    with pytest.raises(ReportTargetNotFound):
        services.report_create(reporter=reporter, type_key=KEY, object_id=message.pk, reason="spam")
    assert not Report.objects.exists()


def test_report_create_same_message_twice_refused(client_user):
    # given
    message = _reply(conversation_with(client=client_user))
    services.report_create(reporter=client_user, type_key=KEY, object_id=message.pk, reason="spam")
    # when / then
    with pytest.raises(AlreadyReported):
        services.report_create(reporter=client_user, type_key=KEY, object_id=message.pk, reason="scam")
    assert Report.objects.count() == 1


def test_report_create_sixth_in_a_minute_refused_nothing_written(client_user):
    # given
    conversation = conversation_with(client=client_user)
    messages = [_reply(conversation, f"Message {i}") for i in range(6)]
    for message in messages[:5]:
        services.report_create(reporter=client_user, type_key=KEY, object_id=message.pk, reason="spam")
    # when
    with pytest.raises(RateLimitedError):
        services.report_create(reporter=client_user, type_key=KEY, object_id=messages[5].pk, reason="spam")
    # then
    assert Report.objects.count() == 5


def test_report_view_post_files_report_and_rate_limit_message(client, client_user):
    # given
    conversation = conversation_with(client=client_user)
    messages = [_reply(conversation, f"Message {i}") for i in range(6)]
    client.force_login(client_user)
    # when
    statuses = [
        client.post(reverse("moderation:report", args=[KEY, m.pk]), {"reason": "spam", "next": "/messages/"})
        for m in messages
    ]
    # then
    assert [r.status_code for r in statuses[:5]] == [302] * 5
    assert statuses[5].status_code == 429 and "several reports in the last minute" in statuses[5].content.decode()
    assert Report.objects.count() == 5


def test_report_view_of_someone_elses_message_is_404(client, client_user):
    # given
    message = _reply(conversation_with())
    client.force_login(client_user)
    # when
    response = client.get(reverse("moderation:report", args=[KEY, message.pk]))
    # then
    assert response.status_code == 404


@pytest.mark.parametrize("role", ["client", "reader", "anonymous"])
def test_staff_queue_not_found_for_non_admins(client, role):
    # given
    report_target = _reply(conversation_with())
    report = services.report_create(
        reporter=report_target.conversation.client, type_key=KEY, object_id=report_target.pk, reason="spam"
    )
    if role != "anonymous":
        user = UserFactory() if role == "client" else ReaderFactory()
        give_totp(user)
        client.force_login(user)
    # when
    responses = [
        client.get(reverse("moderation:queue")),
        client.get(reverse("moderation:report_detail", args=[report.pk])),
        client.post(reverse("moderation:report_detail", args=[report.pk]), {"action": "hide"}),
    ]
    # then
    assert all(r.status_code in (302, 404) for r in responses)
    if role != "anonymous":
        assert [r.status_code for r in responses] == [404, 404, 404]
    report.refresh_from_db()
    assert report.is_open
    assert not Message.objects.filter(hidden_at__isnull=False).exists()


def test_staff_queue_lists_open_reports_with_content(admin_client, client_user):
    # given
    message = _reply(conversation_with(client=client_user), "Offensive words here")
    services.report_create(reporter=client_user, type_key=KEY, object_id=message.pk, reason="harassment")
    # when
    queue = admin_client.get(reverse("moderation:queue"))
    detail = admin_client.get(reverse("moderation:report_detail", args=[Report.objects.get().pk]))
    # then
    assert queue.status_code == 200 and "Harassment" in queue.content.decode()
    assert "Offensive words here" in detail.content.decode()


def test_report_decide_hide_hides_message_closes_all_reports_and_audits(admin_client, admin_user, client_user):
    # given
    conversation = conversation_with(client=client_user)
    message = paid_reply(conversation, "Scam link", price=Decimal("2.00"))
    first = services.report_create(reporter=client_user, type_key=KEY, object_id=message.pk, reason="scam")
    # when
    response = admin_client.post(
        reverse("moderation:report_detail", args=[first.pk]), {"action": "hide", "note": "Off-platform payment"}
    )
    # then
    assert response.status_code == 302
    message.refresh_from_db()
    first.refresh_from_db()
    assert message.is_hidden
    assert first.status == ReportStatus.RESOLVED and first.moderator == admin_user
    audit = AuditLog.objects.get(action="moderation.report_resolved")
    assert audit.actor == admin_user and audit.target_id == str(first.pk)
    assert audit.details["note"] == "Off-platform payment" and audit.details["closed_report_ids"] == [first.pk]


def test_report_decide_dismiss_keeps_content_and_audits(admin_user, client_user):
    # given
    message = _reply(conversation_with(client=client_user))
    report = services.report_create(reporter=client_user, type_key=KEY, object_id=message.pk, reason="other")
    # when
    services.report_decide(actor=admin_user, report_id=report.pk, action="dismiss")
    # then
    message.refresh_from_db()
    report.refresh_from_db()
    assert not message.is_hidden and report.status == ReportStatus.DISMISSED
    assert AuditLog.objects.filter(action="moderation.report_dismissed", actor=admin_user).count() == 1


def test_report_decide_twice_refused(admin_user, client_user):
    # given
    message = _reply(conversation_with(client=client_user))
    report = services.report_create(reporter=client_user, type_key=KEY, object_id=message.pk, reason="other")
    services.report_decide(actor=admin_user, report_id=report.pk, action="dismiss")
    # when / then
    with pytest.raises(ReportAlreadyClosed):
        services.report_decide(actor=admin_user, report_id=report.pk, action="hide")
    assert AuditLog.objects.filter(action__startswith="moderation.").count() == 1


def test_report_decide_by_non_admin_refused(client_user):
    # given
    message = _reply(conversation_with(client=client_user))
    report = services.report_create(reporter=client_user, type_key=KEY, object_id=message.pk, reason="other")
    # when / then
    with pytest.raises(PermissionDeniedError):
        services.report_decide(actor=client_user, report_id=report.pk, action="hide")
    report.refresh_from_db()
    assert report.is_open


def test_report_decide_warn_hides_and_notifies_author_without_naming_reporter(admin_user, client_user):
    # given
    conversation = conversation_with(client=client_user)
    message = _reply(conversation, "Pay me on another app")
    report = services.report_create(reporter=client_user, type_key=KEY, object_id=message.pk, reason="scam")
    # when
    services.report_decide(actor=admin_user, report_id=report.pk, action="warn", note="Second time")
    # then
    message.refresh_from_db()
    assert message.is_hidden
    warning = Notification.objects.get(user=conversation.reader, kind=services.MODERATION_WARNING_KIND)
    assert "removed your message" in warning.title
    assert client_user.email not in warning.title + warning.body
    assert AuditLog.objects.get(action="moderation.report_resolved").details["action"] == "warn"
