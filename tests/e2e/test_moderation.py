"""Moderation in real browsers: a client reports the reader's chat line from a reading's transcript and sees the
pending-flag warning on it, an admin (with TOTP) hides it from the moderation queue, the client sees it hidden, the
admin shows it again from the report page. Then three members flag a review, the system hides it, a moderator who
is not an admin suspends its author from the queue, and the author sees the banner. axe-core runs on the
moderators' pages, the transcript with the warning and the banner."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from apps.accounts.tests.factories import AdminFactory, UserFactory
from apps.core.models import AuditLog
from apps.moderation.models import Report
from apps.readings.services import session_accept, session_end, session_finalize, session_request
from apps.readings.services.chat import session_message_post
from apps.readings.tests.helpers import credit, make_reader
from tests.e2e.conftest import assert_axe_clean, sign_in_with_session

LINE = "Pay me on PayPal instead, it is cheaper."


@pytest.mark.django_db(transaction=True)
def test_chat_line_report_hide_and_show_again_journey(live_server, new_page):
    # given a finished chat reading in which the reader asked for an off-platform payment
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    base = live_server.url
    client = UserFactory(email="sam@example.com")
    reader = make_reader(rate=Decimal("1.00"))
    credit(client, Decimal("5.00"))
    session = session_request(client=client, reader=reader, modality="text")
    session_accept(reader=reader, session_id=session.pk)
    line = session_message_post(sender=reader, session_id=session.pk, body=LINE)
    session_end(actor=client, session_id=session.pk)
    session_finalize(session_id=session.pk)
    admin = AdminFactory(email="keeper@example.com")
    TOTP.activate(admin, generate_totp_secret())  # admins must have TOTP; signed in by session cookie below
    summary_url = base + reverse("readings:summary", args=[session.pk])
    client_page, admin_page = new_page(), new_page()

    # when the client reports the line from the transcript
    sign_in_with_session(client_page, base, client)
    client_page.goto(summary_url)
    client_page.get_by_role("link", name="Report this message").click()
    client_page.get_by_label("Scam or request for off-platform payment").check()
    client_page.get_by_role("button", name="Send report").click()
    client_page.wait_for_url(summary_url)
    expect(client_page.get_by_text("Thank you. A moderator will review your report.")).to_be_visible()
    report = Report.objects.get()
    # then the line carries the pending-flag warning, in words, until a moderator decides
    pending = client_page.get_by_role("list", name="Transcript").get_by_role("note")
    expect(pending).to_have_text("This message has been reported and is waiting for a moderator's review.")
    assert_axe_clean(client_page)

    # and the admin hides it from the queue
    sign_in_with_session(admin_page, base, admin)
    admin_page.goto(base + reverse("moderation:queue"))
    expect(admin_page.get_by_role("cell", name=f"Reading chat message #{line.pk}")).to_be_visible()
    admin_page.get_by_role("link", name=f"Review report {report.pk}").click()
    expect(admin_page.get_by_text(LINE)).to_be_visible()
    assert_axe_clean(admin_page)
    admin_page.get_by_label("Hide the content", exact=True).check()
    # The decision asks for confirmation first (data-confirm); the moderator confirms.
    admin_page.once("dialog", lambda dialog: dialog.accept())
    admin_page.get_by_role("button", name="Record decision").click()
    admin_page.wait_for_url(re.compile(r".*/moderation/queue/$"))

    # then the client sees the line hidden by a moderator
    client_page.goto(summary_url)
    transcript = client_page.get_by_role("list", name="Transcript")
    expect(transcript.get_by_text("This message was hidden by a moderator.")).to_be_visible()
    expect(transcript).not_to_contain_text("PayPal")
    expect(transcript.get_by_role("note")).to_have_count(0)

    # when the admin shows it again from the report page
    report_url = base + reverse("moderation:report_detail", args=[report.pk])
    admin_page.goto(report_url)
    admin_page.get_by_label("Why is it shown again? (for the audit log, optional)").fill("The reader explained")
    admin_page.get_by_role("button", name="Show it again").click()
    admin_page.wait_for_url(report_url)
    expect(admin_page.get_by_text("Shown again.")).to_be_visible()
    assert_axe_clean(admin_page)
    admin_page.get_by_role("link", name="All reports of this reading chat message").click()
    assert_axe_clean(admin_page)

    # then the client reads it again, and both decisions are audited
    client_page.goto(summary_url)
    expect(client_page.get_by_role("list", name="Transcript")).to_contain_text("PayPal")
    assert AuditLog.objects.filter(action="moderation.report_resolved", actor=admin).count() == 1
    assert AuditLog.objects.get(action="moderation.content_unhidden").details["note"] == "The reader explained"


@pytest.mark.django_db(transaction=True)
def test_three_flags_hide_a_review_a_moderator_suspends_its_author_who_sees_the_banner(live_server, new_page):
    # given a client's review of a reading, and a moderator who is not an admin (TOTP on)
    from apps.accounts.tests.factories import give_totp
    from apps.moderation.services import moderator_grant, report_create
    from apps.readings.models import Review

    base = live_server.url
    author = UserFactory(email="angry@example.com")
    reader = make_reader(rate=Decimal("1.00"))
    credit(author, Decimal("5.00"))
    session = session_request(client=author, reader=reader, modality="text")
    session_accept(reader=reader, session_id=session.pk)
    session_end(actor=author, session_id=session.pk)
    session_finalize(session_id=session.pk)
    review = Review.objects.create(session=session, client=author, reader=reader, rating=1, body="Call me on 555")
    moderator = UserFactory(email="mod@example.com")
    moderator_grant(actor=AdminFactory(), user=moderator)
    give_totp(moderator)
    for _ in range(2):
        report_create(reporter=UserFactory(), type_key="readings.review", object_id=review.pk, reason="spam")
    flagger_page, moderator_page, author_page = new_page(), new_page(), new_page()

    # when a third member flags it in the browser
    sign_in_with_session(flagger_page, base, UserFactory())
    flagger_page.goto(base + reverse("moderation:report", args=["readings.review", review.pk]))
    flagger_page.get_by_label("Spam or advertising").check()
    flagger_page.get_by_role("button", name="Send report").click()
    expect(flagger_page.get_by_text("Thank you. A moderator will review your report.")).to_be_visible()

    # then it is hidden until reviewed, and the moderator finds it in the queue with its three flags
    review.refresh_from_db()
    assert review.is_hidden
    sign_in_with_session(moderator_page, base, moderator)
    moderator_page.goto(base + reverse("moderation:queue"))
    row = moderator_page.get_by_role("row").filter(has_text=f"Review #{review.pk}")
    expect(row).to_contain_text("Hidden until reviewed")
    expect(row.get_by_test_id("flag-count")).to_have_text("3")
    assert_axe_clean(moderator_page)

    # when the moderator suspends its author for 7 days
    row.get_by_role("link", name=re.compile("Review")).click()
    expect(moderator_page.get_by_test_id("open-flag-count")).to_have_text("3")
    assert_axe_clean(moderator_page)
    moderator_page.get_by_label("Hide the content and suspend its author").check()
    moderator_page.get_by_label("Suspend the author for (with “suspend”)").select_option("7")
    moderator_page.get_by_label("Reason for the suspension (the author is shown it)").fill("Advertising a phone line.")
    moderator_page.once("dialog", lambda dialog: dialog.accept())
    moderator_page.get_by_role("button", name="Record decision").click()
    moderator_page.wait_for_url(re.compile(r".*/moderation/queue/$"))
    expect(moderator_page.get_by_text("Nothing is waiting for a moderator.")).to_be_visible()

    # then the author sees the banner with the reason on every page, and their wallet still opens
    sign_in_with_session(author_page, base, author)
    author_page.goto(base + reverse("wallet:home"))
    banner = author_page.get_by_test_id("suspension-banner")
    expect(banner).to_contain_text("Advertising a phone line.")
    expect(banner).to_contain_text("Your account is suspended until")
    assert_axe_clean(author_page)
    assert AuditLog.objects.filter(action="moderation.user_suspended", actor=moderator).count() == 1
    assert AuditLog.objects.filter(action="moderation.content_auto_hidden", actor=None).count() == 1
