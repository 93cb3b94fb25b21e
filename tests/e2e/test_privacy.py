"""A user's privacy journey in a real browser: they export their data and download the ZIP, then delete their
account, confirm by the emailed link, the deletion job runs after the grace period, and they cannot sign in.
axe-core runs on each privacy page."""

import json
import re
import zipfile
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from playwright.sync_api import expect

from apps.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from apps.core.outbox import outbox_drain
from apps.privacy.models import DeletionRequest
from apps.privacy.services import deletions_run
from tests.e2e.conftest import assert_axe_clean, sign_in_with_session


def _accept_next_dialog(page) -> list[str]:
    asked: list[str] = []

    def handle(dialog):
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", handle)
    return asked


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_user_exports_their_data_then_deletes_their_account(live_server, page):
    # given: a signed-in client
    base = live_server.url
    user = UserFactory(email="willow.privacy@example.com", display_name="Willow Privacy")
    sign_in_with_session(page, base, user)

    # when: they ask for an export from their settings
    page.goto(base + reverse("accounts:settings"))
    page.get_by_role("link", name="Export your data").click()
    page.wait_for_url(f"**{reverse('privacy:export')}")
    assert_axe_clean(page)
    asked = _accept_next_dialog(page)
    page.get_by_role("button", name="Export my data").click()
    expect(page.get_by_text("We are preparing your export.")).to_be_visible()
    assert asked == ["Prepare a new export of your data?"]
    outbox_drain()  # the build, as the worker runs it
    page.reload()
    # then: they download the ZIP with their data
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download your data").click()
    archive = zipfile.ZipFile(download_info.value.path())
    data = json.loads(archive.read("data.json"))
    assert data["sections"]["accounts.profile"]["email"] == "willow.privacy@example.com"
    assert data["sections"]["accounts.profile"]["display_name"] == "Willow Privacy"

    # when: they ask to delete the account
    mail.outbox.clear()
    page.goto(base + reverse("accounts:settings"))
    page.get_by_role("link", name="Delete your account").click()
    page.wait_for_url(f"**{reverse('privacy:delete')}")
    assert_axe_clean(page)
    page.get_by_label("Your password").fill(DEFAULT_PASSWORD)
    _accept_next_dialog(page)
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text("We sent you an email.")).to_be_visible()
    outbox_drain()
    # and confirm by the emailed link
    [email] = [message for message in mail.outbox if "Confirm the deletion" in message.subject]
    link = re.search(r"https?://\S+/accounts/delete-account/confirm/\?token=\S+", email.body).group(0)
    page.goto(base + link[link.index("/accounts/") :])
    assert_axe_clean(page)
    _accept_next_dialog(page)
    page.get_by_role("button", name="Confirm deletion").click()
    expect(page.get_by_role("heading", name="Your account is scheduled for deletion")).to_be_visible()
    expect(page.get_by_text("Your account is scheduled for deletion. See when")).to_be_visible()

    # when: the grace period is over and the deletion job runs
    deletion = DeletionRequest.objects.get(user=user)
    assert deletions_run(now=deletion.scheduled_for + timedelta(minutes=1)) == 1

    # then: their session is gone and they cannot sign in again
    page.goto(base + reverse("accounts:settings"))
    page.wait_for_url(re.compile(r".*/accounts/login/.*"))
    # (on the login page that sent them to)
    page.get_by_label("Email").fill("willow.privacy@example.com")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.locator("main").get_by_role("button", name="Sign In").click()
    expect(page.get_by_text(re.compile("not correct|inactive", re.IGNORECASE))).to_be_visible()
    assert "/accounts/login/" in page.url
