import pytest
from django.core import mail
from django.urls import reverse

from apps.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from apps.core.outbox import outbox_drain
from apps.privacy.enums import DeletionStatus, ExportStatus
from apps.privacy.models import DataExport, DeletionRequest
from apps.privacy.services import deletion_request, deletion_token

pytestmark = pytest.mark.django_db


def _client_for(user):
    from django.test import Client

    browser = Client()
    browser.force_login(user)
    return browser


def test_export_page_asks_then_shows_the_status():
    # given
    user = UserFactory()
    browser = _client_for(user)
    # when
    page = browser.get(reverse("privacy:export"))
    posted = browser.post(reverse("privacy:export"))
    # then
    assert page.status_code == 200 and b"not asked for an export yet" in page.content
    assert posted.status_code == 302
    assert DataExport.objects.get(user=user).status == ExportStatus.REQUESTED
    assert b"Requested" in browser.get(reverse("privacy:export")).content


def test_export_download_without_a_ready_export_is_not_found():
    assert _client_for(UserFactory()).get(reverse("privacy:export_download")).status_code == 404


def test_delete_page_with_a_wrong_password_shows_the_error_and_writes_nothing():
    user = UserFactory()
    response = _client_for(user).post(reverse("privacy:delete"), {"password": "wrong"})
    assert response.status_code == 400
    assert b"That password is not right." in response.content
    assert not DeletionRequest.objects.exists()


def test_delete_page_request_then_emailed_link_then_cancel():
    # given
    user = UserFactory()
    browser = _client_for(user)
    mail.outbox.clear()
    # when: asked
    response = browser.post(reverse("privacy:delete"), {"password": DEFAULT_PASSWORD})
    outbox_drain()
    # then
    assert response.status_code == 302
    [email] = mail.outbox
    link = next(word for word in email.body.split() if "/accounts/delete-account/confirm/" in word)
    path = link[link.index("/accounts/") :]
    # when: the link is opened and confirmed
    assert browser.get(path).status_code == 200
    assert browser.post(path).status_code == 302
    deletion = DeletionRequest.objects.get(user=user)
    assert deletion.status == DeletionStatus.SCHEDULED
    page = browser.get(reverse("privacy:delete"))
    assert b"scheduled for deletion" in page.content and b"Keep my account" in page.content
    # when: cancelled
    assert browser.post(reverse("privacy:delete_cancel")).status_code == 302
    deletion.refresh_from_db()
    assert deletion.status == DeletionStatus.CANCELLED
    assert b"scheduled for deletion" not in browser.get(reverse("privacy:delete")).content


def test_delete_confirm_link_of_another_user_is_not_found():
    # given
    owner, other = UserFactory(), UserFactory()
    deletion = deletion_request(user=owner, password=DEFAULT_PASSWORD)
    url = reverse("privacy:delete_confirm") + "?token=" + deletion_token(deletion)
    # when / then
    browser = _client_for(other)
    assert browser.get(url).status_code == 404
    assert browser.post(url).status_code == 404
    deletion.refresh_from_db()
    assert deletion.status == DeletionStatus.PENDING


def test_delete_confirm_without_a_valid_token_is_a_bad_request():
    browser = _client_for(UserFactory())
    assert browser.get(reverse("privacy:delete_confirm") + "?token=nonsense").status_code == 400


def test_sign_in_while_scheduled_shows_the_banner():
    # given
    user = UserFactory()
    deletion = deletion_request(user=user, password=DEFAULT_PASSWORD)
    from apps.privacy.services import deletion_confirm

    deletion_confirm(user=user, token=deletion_token(deletion))
    from django.test import Client

    browser = Client()
    # when
    signed_in = browser.post(reverse("account_login"), {"login": user.email, "password": DEFAULT_PASSWORD})
    assert signed_in.status_code == 302
    page = browser.get(reverse("pages:home"))
    # then
    assert b"Your account is scheduled for deletion." in page.content
    assert b"keep your account" in page.content


def _ready_export_link(user):
    from apps.privacy.services import export_request

    export_request(user=user)
    outbox_drain()
    outbox_drain()  # the email the build recorded
    [email] = [message for message in mail.outbox if "data export" in message.subject and message.to == [user.email]]
    link = next(word for word in email.body.split() if "/files/" in word)
    return link[link.index("/files/") :]


def test_emailed_export_link_serves_the_zip_to_its_owner_only():
    # given
    owner, other = UserFactory(), UserFactory()
    path = _ready_export_link(owner)
    # when
    served = _client_for(owner).get(path)
    refused = _client_for(other).get(path)
    # then
    assert served.status_code == 200
    assert served["Content-Disposition"].startswith('attachment; filename="soulseer-data-')
    assert b"".join(served.streaming_content)[:2] == b"PK"
    assert refused.status_code == 404


def test_export_link_after_24_hours_is_gone_and_a_fresh_one_works():
    # given: the emailed link, a day and a minute later
    from datetime import timedelta

    from django.utils import timezone

    from apps.core.models import FileLink

    owner = UserFactory()
    path = _ready_export_link(owner)
    link = FileLink.objects.get(user=owner, purpose="privacy.export")
    assert timedelta(hours=23, minutes=59) < link.expires_at - link.created_at <= timedelta(hours=24)
    FileLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    browser = _client_for(owner)
    # when / then
    assert browser.get(path).status_code == 410
    fresh = browser.get(reverse("privacy:export_download"))
    assert fresh.status_code == 302 and fresh["Location"].startswith("/files/")
    assert browser.get(fresh["Location"]).status_code == 200
