import pytest
from django.core import mail
from django.urls import reverse

from apps.core.models import AuditLog
from apps.pages.enums import TicketStatus
from apps.pages.models import SupportReply
from apps.pages.views import TICKET_PAGE_SIZE

from .factories import SupportTicketFactory

pytestmark = pytest.mark.django_db


def _staff_urls(ticket):
    return [
        ("get", reverse("staff_pages:ticket_list")),
        ("get", reverse("staff_pages:ticket_panel")),
        ("get", reverse("staff_pages:ticket_detail", args=[ticket.pk])),
        ("post", reverse("staff_pages:ticket_detail", args=[ticket.pk])),
        ("post", reverse("staff_pages:ticket_close", args=[ticket.pk])),
        ("post", reverse("staff_pages:ticket_reopen", args=[ticket.pk])),
    ]


@pytest.mark.parametrize("user_fixture", ["client_user", "reader_user"])
def test_staff_ticket_views_non_admin_gets_404_and_changes_nothing(client, request, user_fixture):
    # given
    user = request.getfixturevalue(user_fixture)
    ticket = SupportTicketFactory(requester=user)
    client.force_login(user)
    # when / then
    for method, url in _staff_urls(ticket):
        response = getattr(client, method)(url, {"body": "I answer myself."} if method == "post" else None)
        assert response.status_code == 404, url
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN
    assert not SupportReply.objects.exists()
    assert not AuditLog.objects.exists()


def test_staff_ticket_views_anonymous_redirected_to_login(client):
    # given
    ticket = SupportTicketFactory()
    # when / then
    for method, url in _staff_urls(ticket):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("account_login"))


def test_staff_ticket_list_filters_by_status_and_paginates(admin_client):
    # given
    for n in range(TICKET_PAGE_SIZE + 1):
        SupportTicketFactory(subject=f"Open question {n:02d}")
    SupportTicketFactory(subject="Closed question", status=TicketStatus.CLOSED)
    # when
    closed = admin_client.get(reverse("staff_pages:ticket_list"), {"status": "closed"}).content.decode()
    open_page_2 = admin_client.get(reverse("staff_pages:ticket_list"), {"status": "open", "page": 2})
    # then
    assert "Closed question" in closed
    assert "Open question" not in closed
    assert open_page_2.status_code == 200
    assert "Page 2 of 2" in open_page_2.content.decode()


def test_staff_ticket_detail_shows_message_and_replies(admin_client, admin_user):
    # given
    ticket = SupportTicketFactory(message="Where is my <b>refund</b>?")
    SupportReply.objects.create(ticket=ticket, author=admin_user, body="It is on its way.")
    # when
    html = admin_client.get(reverse("staff_pages:ticket_detail", args=[ticket.pk])).content.decode()
    # then
    assert "Where is my &lt;b&gt;refund&lt;/b&gt;?" in html
    assert "It is on its way." in html


def test_staff_ticket_detail_unknown_ticket_answers_404(admin_client):
    assert admin_client.get(reverse("staff_pages:ticket_detail", args=[999999])).status_code == 404


def test_staff_ticket_reply_post_sends_reply_audits_and_emails_on_commit(
    admin_client, admin_user, celery_eager, django_capture_on_commit_callbacks
):
    # given
    ticket = SupportTicketFactory(email="asker@example.com")
    url = reverse("staff_pages:ticket_detail", args=[ticket.pk])
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, {"body": "Your booking is now on Saturday."})
    # then
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.ANSWERED
    assert AuditLog.objects.filter(action="pages.support_ticket.replied", actor=admin_user).count() == 1
    assert [message.to for message in mail.outbox] == [["asker@example.com"]]


def test_staff_ticket_reply_post_empty_body_shows_error_and_changes_nothing(admin_client):
    # given
    ticket = SupportTicketFactory()
    # when
    response = admin_client.post(reverse("staff_pages:ticket_detail", args=[ticket.pk]), {"body": ""})
    # then
    assert response.status_code == 400
    assert 'id="id_body_error"' in response.content.decode()
    assert not SupportReply.objects.exists()
    assert not AuditLog.objects.exists()


def test_staff_ticket_reply_post_closed_ticket_shows_error_and_changes_nothing(admin_client):
    # given
    ticket = SupportTicketFactory(status=TicketStatus.CLOSED)
    # when
    response = admin_client.post(reverse("staff_pages:ticket_detail", args=[ticket.pk]), {"body": "Hello again."})
    # then
    assert response.status_code == 400
    assert "Reopen it before replying" in response.content.decode()
    assert not SupportReply.objects.exists()
    assert not AuditLog.objects.exists()


def test_staff_ticket_close_and_reopen_post_audit_each_decision(admin_client, admin_user):
    # given
    ticket = SupportTicketFactory()
    # when
    close = admin_client.post(reverse("staff_pages:ticket_close", args=[ticket.pk]))
    reopen = admin_client.post(reverse("staff_pages:ticket_reopen", args=[ticket.pk]))
    # then
    assert close.status_code == reopen.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN
    actions = list(AuditLog.objects.filter(actor=admin_user).order_by("pk").values_list("action", flat=True))
    assert actions == ["pages.support_ticket.closed", "pages.support_ticket.reopened"]


def test_staff_ticket_close_get_not_allowed(admin_client):
    ticket = SupportTicketFactory()
    assert admin_client.get(reverse("staff_pages:ticket_close", args=[ticket.pk])).status_code == 405


def test_staff_ticket_panel_shows_open_tickets_and_counts(admin_client):
    # given
    SupportTicketFactory(subject="Where is my refund?")
    SupportTicketFactory(subject="Already answered", status=TicketStatus.ANSWERED)
    # when
    response = admin_client.get(reverse("staff_pages:ticket_panel"))
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "1 open ticket waiting for an answer" in html
    assert "Where is my refund?" in html
    assert "Already answered" not in html


def test_staff_ticket_panel_non_admin_gets_404(client, client_user):
    client.force_login(client_user)
    assert client.get(reverse("staff_pages:ticket_panel")).status_code == 404


def test_admin_dashboard_links_support_ticket_panel(admin_client):
    # when
    html = admin_client.get(reverse("dashboards:admin")).content.decode()
    # then
    assert reverse("staff_pages:ticket_panel") in html
