"""The Help Center and policy pages in a real browser: a visitor reads the policies, searches the articles,
sends the contact form (errors first, then a valid message) and gets a confirmation email; an admin (with
TOTP, signed in by session) answers the ticket. axe-core runs on every page on the way.
"""

import pytest
from django.core import mail
from django.urls import reverse
from playwright.sync_api import expect

from apps.accounts.tests.factories import AdminFactory, give_totp
from apps.core.models import AuditLog
from apps.pages.enums import TicketStatus
from apps.pages.models import SupportTicket
from apps.pages.tests.factories import HelpArticleFactory, ensure_initial_policies
from config.celery import app as celery_app
from tests.e2e.conftest import assert_axe_clean, sign_in_with_session


@pytest.fixture
def celery_eager():
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.mark.django_db(transaction=True)
def test_policy_pages_and_empty_help_center_are_accessible(live_server, page):
    # given: the policies from the data migration, and no help articles
    ensure_initial_policies()
    base = live_server.url
    for url_name, heading in (
        ("pages:terms", "Terms of Service"),
        ("pages:privacy", "Privacy Policy"),
        ("pages:refunds", "Refund Policy"),
    ):
        # when
        page.goto(base + reverse(url_name))
        # then
        expect(page.get_by_role("heading", level=1, name=heading)).to_be_visible()
        assert_axe_clean(page)
    page.goto(base + reverse("pages:help"))
    expect(page.get_by_text("No help articles yet — use the contact form")).to_be_visible()
    assert_axe_clean(page)


@pytest.mark.django_db(transaction=True)
def test_help_center_search_and_article_are_accessible(live_server, page):
    # given
    HelpArticleFactory(
        title="Refunds for scheduled readings",
        slug="booking-refunds",
        category="Bookings",
        body="## Cancelling\n\nCancel 24 hours ahead for a full refund.\n\n- 24 h or more: 100%\n- 24 h to 2 h: 50%",
    )
    HelpArticleFactory(title="Video readings", slug="video", body="Allow the camera when your browser asks.")
    base = live_server.url
    # when
    page.goto(base + reverse("pages:help"))
    assert_axe_clean(page)
    page.get_by_label("Search help articles").fill("refund")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/help/?q=refund")
    # then
    expect(page.get_by_role("link", name="Refunds for scheduled readings")).to_be_visible()
    assert page.get_by_role("link", name="Video readings").count() == 0
    assert_axe_clean(page)
    page.get_by_role("link", name="Refunds for scheduled readings").click()
    page.wait_for_url("**/help/booking-refunds/")
    expect(page.get_by_role("heading", level=2, name="Cancelling")).to_be_visible()
    assert_axe_clean(page)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_contact_form_to_admin_reply_journey(live_server, new_page, celery_eager):
    # given
    base = live_server.url
    admin = AdminFactory(email="keeper@example.com")
    give_totp(admin)
    visitor = new_page()

    # when: the visitor sends the form with mistakes, then correctly
    visitor.goto(base + reverse("pages:contact"))
    assert_axe_clean(visitor)
    visitor.get_by_label("Your name").fill("Jordan Rivers")
    visitor.get_by_label("Email address").fill("not-an-email")
    visitor.get_by_role("button", name="Send message").click()
    expect(visitor.get_by_text("Please correct the fields marked below.")).to_be_visible()
    assert visitor.get_by_label("Email address").get_attribute("aria-invalid") == "true"
    assert_axe_clean(visitor)
    visitor.get_by_label("Email address").fill("jordan@example.com")
    visitor.get_by_label("Subject").fill("Moving my booking")
    visitor.get_by_label("Message").fill("Can I move Friday's reading to Saturday, please?")
    visitor.get_by_role("button", name="Send message").click()
    visitor.wait_for_url(f"**{reverse('pages:contact_sent')}")

    # then: a ticket is open and the visitor has a confirmation
    assert_axe_clean(visitor)
    ticket = SupportTicket.objects.get()
    assert ticket.status == TicketStatus.OPEN
    assert [message.to for message in mail.outbox] == [["jordan@example.com"]]

    # when: the admin answers from the ticket inbox
    admin_page = new_page()
    sign_in_with_session(admin_page, base, admin)
    admin_page.goto(base + reverse("staff_pages:ticket_list"))
    assert_axe_clean(admin_page)
    admin_page.get_by_role("link", name=f"#{ticket.pk}").click()
    admin_page.wait_for_url(f"**{reverse('staff_pages:ticket_detail', args=[ticket.pk])}")
    assert_axe_clean(admin_page)
    admin_page.get_by_label("Your reply").fill("Yes: your reading is now on Saturday at the same time.")
    admin_page.get_by_role("button", name="Send reply to jordan@example.com").click()
    admin_page.wait_for_url(f"**{reverse('staff_pages:ticket_detail', args=[ticket.pk])}")

    # then
    expect(admin_page.get_by_text("Reply sent to jordan@example.com.")).to_be_visible()
    assert_axe_clean(admin_page)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.ANSWERED
    assert AuditLog.objects.filter(action="pages.support_ticket.replied", actor=admin).count() == 1
    assert mail.outbox[-1].to == ["jordan@example.com"]
    assert "now on Saturday" in mail.outbox[-1].body
