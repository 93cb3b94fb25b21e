"""The moderation queue runs a constant number of queries however many reports it lists."""

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.messaging.models import Message
from apps.messaging.tests.factories import conversation_with
from apps.moderation import services
from apps.moderation.enums import ReportStatus

pytestmark = pytest.mark.django_db
KEY = "messaging.message"
FEW, MANY = 1, 12


def _queries(get: Callable[[], object]) -> int:
    get()
    with CaptureQueriesContext(connection) as captured:
        response = get()
    assert response.status_code == 200  # type: ignore[attr-defined]
    return len(captured.captured_queries)


def _reports(rows: int, admin_user, decide: bool) -> None:
    for _ in range(rows):
        conversation = conversation_with()
        message = Message.objects.create(conversation=conversation, sender=conversation.reader, body="Rude")
        report = services.report_create(
            reporter=conversation.client, type_key=KEY, object_id=message.pk, reason="harassment"
        )
        if decide:
            services.report_decide(actor=admin_user, report_id=report.pk, action="hide")


@pytest.mark.parametrize("status", [ReportStatus.OPEN, ReportStatus.RESOLVED])
def test_staff_queue_many_reports_same_queries_as_few(admin_client, admin_user, status):
    # given
    decide = status == ReportStatus.RESOLVED
    _reports(FEW, admin_user, decide)
    few_count = _queries(lambda: admin_client.get(reverse("moderation:queue"), {"status": status}))
    _reports(MANY, admin_user, decide)
    # when
    many_count = _queries(lambda: admin_client.get(reverse("moderation:queue"), {"status": status}))
    # then
    assert many_count == few_count
