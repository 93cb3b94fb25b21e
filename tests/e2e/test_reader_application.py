"""The reader-application journey in a real browser: a client applies with a photo, an admin (with TOTP,
signed in by session) approves, and the applicant signs in again to land on the reader dashboard. axe-core runs on the
application form, the review queue and every dashboard on the way.

Everyone signs in by session cookie (the sign-in forms are the site journey's); the applicant then opens the page
signing in lands on (``LOGIN_REDIRECT_URL``), which sends each role to its own dashboard.
"""

import io

import pytest
from django.conf import settings as django_settings
from django.shortcuts import resolve_url
from django.urls import reverse
from PIL import Image
from playwright.sync_api import expect

from apps.accounts.enums import ApplicationStatus, Role
from apps.accounts.models import ReaderApplication, User
from apps.accounts.tests.factories import AdminFactory, UserFactory, give_totp
from apps.core.models import AuditLog
from tests.e2e.conftest import assert_axe_clean, goto_settled, sign_in_with_session


def _png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (212, 175, 55)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_reader_application_apply_approve_and_land_on_reader_dashboard(live_server, new_page, settings, tmp_path):
    # given: a verified client, and an admin with TOTP
    settings.MEDIA_ROOT = tmp_path / "media"
    applicant = UserFactory(email="aurora@example.com")
    admin = AdminFactory(email="keeper@example.com")
    give_totp(admin)
    base = live_server.url

    # when: the client signs in and applies
    page = new_page()
    sign_in_with_session(page, base, applicant)
    page.goto(base + resolve_url(django_settings.LOGIN_REDIRECT_URL))
    page.wait_for_url(f"**{reverse('dashboards:client')}")
    assert_axe_clean(page)
    page.get_by_role("link", name="Apply to become a reader").click()
    page.wait_for_url(f"**{reverse('accounts:reader_application')}")
    assert_axe_clean(page)
    page.get_by_label("About you").fill(
        "Third-generation tarot reader. I read with warmth and honesty, and I never predict doom."
    )
    page.get_by_label("Specialties").fill("tarot, dream interpretation")
    page.get_by_label("Tools you use").fill("Rider–Waite deck")
    page.get_by_label("Years of experience").fill("9")
    page.get_by_label("Photo of you").set_input_files(
        files=[{"name": "aurora.png", "mimeType": "image/png", "buffer": _png_bytes()}]
    )
    page.get_by_role("button", name="Send application").click()
    page.wait_for_url(f"**{reverse('accounts:reader_application')}")
    expect(page.get_by_text("Pending review").first).to_be_visible()
    assert_axe_clean(page)
    application = ReaderApplication.objects.get(applicant=applicant)
    assert application.status == ApplicationStatus.PENDING

    # when: the admin opens their dashboard and approves from the queue
    admin_page = new_page()
    sign_in_with_session(admin_page, base, admin)
    goto_settled(admin_page, base + reverse("dashboards:admin"))
    expect(admin_page.get_by_text("1 application waiting for review")).to_be_visible()
    assert_axe_clean(admin_page)
    admin_page.get_by_role("link", name="Review applications").click()
    admin_page.wait_for_url(f"**{reverse('staff_accounts:application_list')}**")
    assert_axe_clean(admin_page)
    admin_page.get_by_role("link", name=f"Review application from {applicant.email}").click()
    admin_page.wait_for_url(f"**{reverse('staff_accounts:application_detail', args=[application.pk])}")
    assert admin_page.locator("img[alt^='Photo sent by']").evaluate("img => img.naturalWidth") == 64
    assert_axe_clean(admin_page)
    admin_page.get_by_role("button", name="Approve").click()
    admin_page.wait_for_url(f"**{reverse('staff_accounts:application_list')}")
    expect(admin_page.get_by_text(f"{applicant.email} is now a reader")).to_be_visible()
    assert_axe_clean(admin_page)
    # the other admin pages on the way: users, one user's role history, the audit log
    admin_page.goto(base + reverse("staff_accounts:user_list") + "?q=aurora")
    assert_axe_clean(admin_page)
    admin_page.get_by_role("link", name=f"Manage {applicant.email}").click()
    expect(admin_page.get_by_text("client → reader")).to_be_visible()
    assert_axe_clean(admin_page)
    admin_page.goto(base + reverse("staff_core:audit_log"))
    expect(admin_page.get_by_text("accounts.reader_application_approved")).to_be_visible()
    assert_axe_clean(admin_page)

    # then: the applicant, signing in again, lands on the reader dashboard
    returning = new_page()
    sign_in_with_session(returning, base, applicant)
    returning.goto(base + resolve_url(django_settings.LOGIN_REDIRECT_URL))
    returning.wait_for_url(f"**{reverse('dashboards:reader')}")
    assert returning.locator("h1").inner_text() == "Reader dashboard"
    expect(returning.locator("[data-mfa-prompt]")).to_be_visible()
    assert_axe_clean(returning)
    returning.goto(base + reverse("accounts:settings"))
    assert_axe_clean(returning)
    assert User.objects.get(pk=applicant.pk).role == Role.READER
    assert AuditLog.objects.filter(action="accounts.reader_application_approved", actor=admin).count() == 1
