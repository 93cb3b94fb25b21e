import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from apps.core.exceptions import InvalidStateError, RateLimitedError
from apps.core.models import AuditLog
from apps.pages import services
from apps.pages.enums import TicketStatus
from apps.pages.models import SupportReply, SupportTicket

from .factories import SupportTicketFactory

pytestmark = pytest.mark.django_db

TICKET = {
    "name": "Jordan Rivers",
    "email": "jordan@example.com",
    "subject": "Moving my booking",
    "message": "Can I move Friday's reading to Saturday?",
}


def _open(rf, ip="198.51.100.7", requester=None, **overrides):
    request = rf.post("/help/contact/", REMOTE_ADDR=ip)
    return services.support_ticket_open(**{**TICKET, **overrides}, requester=requester, request=request)


def test_support_ticket_open_valid_input_creates_open_ticket_and_emails_sender_on_commit(
    rf, celery_eager, django_capture_on_commit_callbacks, settings
):
    # given
    settings.SUPPORT_EMAIL = ""
    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ticket = _open(rf)
    # then: nothing is sent before the commit
    assert ticket.status == TicketStatus.OPEN
    assert ticket.requester is None
    assert len(callbacks) == 1
    assert mail.outbox == []
    # when: the transaction commits
    for callback in callbacks:
        callback()
    # then
    assert len(mail.outbox) == 1
    confirmation = mail.outbox[0]
    assert confirmation.to == ["jordan@example.com"]
    assert f"#{ticket.pk}" in confirmation.subject
    # the confirmation does not echo the message: anyone can type any address into the form
    assert TICKET["message"] not in confirmation.body
    ticket.refresh_from_db()
    assert ticket.confirmation_sent_at is not None


def test_support_ticket_open_support_email_set_notifies_support_inbox(
    rf, celery_eager, django_capture_on_commit_callbacks, settings
):
    # given
    settings.SUPPORT_EMAIL = "support@soulseer.example"
    # when
    with django_capture_on_commit_callbacks(execute=True):
        ticket = _open(rf)
    # then
    recipients = sorted(message.to[0] for message in mail.outbox)
    assert recipients == ["jordan@example.com", "support@soulseer.example"]
    notice = next(message for message in mail.outbox if message.to == ["support@soulseer.example"])
    assert TICKET["message"] in notice.body
    assert f"/staff/pages/tickets/{ticket.pk}/" in notice.body


def test_support_ticket_open_signed_in_user_links_requester(rf, client_user, django_capture_on_commit_callbacks):
    # when
    with django_capture_on_commit_callbacks(execute=False):
        ticket = _open(rf, requester=client_user)
    # then
    assert ticket.requester == client_user


def test_support_ticket_open_invalid_email_raises_and_creates_nothing(rf):
    # when
    with pytest.raises(ValidationError):
        _open(rf, email="not-an-address")
    # then
    assert not SupportTicket.objects.exists()


def test_support_ticket_open_sixth_message_within_an_hour_from_one_ip_raises_rate_limited(
    rf, django_capture_on_commit_callbacks
):
    # given
    with django_capture_on_commit_callbacks(execute=False):
        for _ in range(services.CONTACT_RATE_LIMIT):
            _open(rf, ip="203.0.113.50")
    # when
    with pytest.raises(RateLimitedError):
        _open(rf, ip="203.0.113.50")
    # then
    assert SupportTicket.objects.count() == services.CONTACT_RATE_LIMIT
    # another address is not affected
    with django_capture_on_commit_callbacks(execute=False):
        _open(rf, ip="203.0.113.51")
    assert SupportTicket.objects.count() == services.CONTACT_RATE_LIMIT + 1


def test_support_ticket_open_signed_in_user_limited_across_ip_addresses(
    rf, client_user, django_capture_on_commit_callbacks
):
    # given
    with django_capture_on_commit_callbacks(execute=False):
        for n in range(services.CONTACT_RATE_LIMIT):
            _open(rf, ip=f"192.0.2.{n + 1}", requester=client_user)
    # when / then
    with pytest.raises(RateLimitedError):
        _open(rf, ip="192.0.2.200", requester=client_user)
    assert SupportTicket.objects.filter(requester=client_user).count() == services.CONTACT_RATE_LIMIT


def test_support_ticket_send_confirmation_called_twice_sends_once():
    # given
    ticket = SupportTicketFactory()
    # when
    first = services.support_ticket_send_confirmation(ticket_id=ticket.pk)
    second = services.support_ticket_send_confirmation(ticket_id=ticket.pk)
    # then
    assert (first, second) == (True, False)
    assert len(mail.outbox) == 1


def test_support_ticket_reply_open_ticket_marks_answered_audits_and_emails_on_commit(
    rf, admin_user, celery_eager, django_capture_on_commit_callbacks
):
    # given
    ticket = SupportTicketFactory(email="asker@example.com")
    request = rf.post("/", REMOTE_ADDR="203.0.113.9")
    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        reply = services.support_ticket_reply(
            actor=admin_user, ticket=ticket, body="Yes, Saturday works. We've moved it.", request=request
        )
    # then
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.ANSWERED
    assert ticket.answered_at is not None
    assert reply.author == admin_user
    row = AuditLog.objects.get(action="pages.support_ticket.replied")
    assert (row.actor, row.target_id, row.ip_address) == (admin_user, str(ticket.pk), "203.0.113.9")
    assert row.details == {"reply_id": reply.pk}
    assert mail.outbox == []
    # when
    for callback in callbacks:
        callback()
    # then
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["asker@example.com"]
    assert "Yes, Saturday works." in mail.outbox[0].body
    reply.refresh_from_db()
    assert reply.emailed_at is not None


def test_support_ticket_reply_closed_ticket_raises_and_changes_nothing(admin_user):
    # given
    ticket = SupportTicketFactory(status=TicketStatus.CLOSED)
    # when
    with pytest.raises(InvalidStateError):
        services.support_ticket_reply(actor=admin_user, ticket=ticket, body="Hello again.")
    # then
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED
    assert not SupportReply.objects.exists()
    assert not AuditLog.objects.exists()


def test_support_ticket_reply_empty_body_raises_and_changes_nothing(admin_user):
    # given
    ticket = SupportTicketFactory()
    # when
    with pytest.raises(ValidationError):
        services.support_ticket_reply(actor=admin_user, ticket=ticket, body="   ")
    # then
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN
    assert not AuditLog.objects.exists()


def test_support_ticket_close_then_reopen_audits_each_transition(admin_user):
    # given
    ticket = SupportTicketFactory(status=TicketStatus.ANSWERED)
    # when
    services.support_ticket_close(actor=admin_user, ticket=ticket)
    services.support_ticket_reopen(actor=admin_user, ticket=ticket)
    # then
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN
    rows = list(AuditLog.objects.order_by("pk").values_list("action", "details"))
    assert rows == [
        ("pages.support_ticket.closed", {"from": "answered", "to": "closed"}),
        ("pages.support_ticket.reopened", {"from": "closed", "to": "open"}),
    ]


def test_support_ticket_close_already_closed_raises_and_audits_nothing(admin_user):
    # given
    ticket = SupportTicketFactory(status=TicketStatus.CLOSED)
    # when
    with pytest.raises(InvalidStateError):
        services.support_ticket_close(actor=admin_user, ticket=ticket)
    # then
    assert not AuditLog.objects.exists()


def test_support_ticket_reopen_open_ticket_raises(admin_user):
    with pytest.raises(InvalidStateError):
        services.support_ticket_reopen(actor=admin_user, ticket=SupportTicketFactory())


def test_support_tickets_anonymise_for_user_removes_personal_data_of_own_tickets_only(client_user, admin_user):
    # given
    signed_in = SupportTicketFactory(requester=client_user, email=client_user.email)
    signed_out = SupportTicketFactory(email=client_user.email.upper())
    SupportReply.objects.create(ticket=signed_in, author=admin_user, body="Hello Jordan, about your booking…")
    other = SupportTicketFactory(email="someone-else@example.com")
    # when
    changed = services.support_tickets_anonymise_for_user(user=client_user)
    # then
    assert changed == 2
    for ticket in (signed_in, signed_out):
        ticket.refresh_from_db()
        assert ticket.requester is None
        assert ticket.email == "deleted-user@invalid"
        assert "booking" not in ticket.message
    assert SupportReply.objects.get().body == "[Removed when the account was deleted.]"
    other.refresh_from_db()
    assert other.email == "someone-else@example.com"


def test_support_ticket_open_broker_down_emails_sent_once_by_outbox_sweep(
    rf, admin_user, django_capture_on_commit_callbacks, settings
):
    # given a broker that refuses every task message
    from unittest import mock

    from apps.core.models import OutboxMessage
    from apps.core.outbox import outbox_drain

    settings.SUPPORT_EMAIL = "support@soulseer.example"
    broker_down = mock.patch("apps.core.tasks.outbox_dispatch_task.delay", side_effect=ConnectionError("broker down"))
    # when a ticket is opened and answered while it is down
    with broker_down, django_capture_on_commit_callbacks(execute=True):
        ticket = _open(rf)
    with broker_down, django_capture_on_commit_callbacks(execute=True):
        reply = services.support_ticket_reply(actor=admin_user, ticket=ticket, body="Yes, Saturday works.")
    # then nothing was sent, and nothing is lost: three messages wait for the sweep
    assert mail.outbox == []
    assert OutboxMessage.objects.filter(name__startswith="pages.").count() == 3
    # when the sweep runs (twice)
    assert outbox_drain() == 3
    assert outbox_drain() == 0
    # then each email went out once, and is marked sent
    assert sorted(message.to[0] for message in mail.outbox) == [
        "jordan@example.com",
        "jordan@example.com",
        "support@soulseer.example",
    ]
    ticket.refresh_from_db()
    reply.refresh_from_db()
    assert ticket.confirmation_sent_at is not None and reply.emailed_at is not None
