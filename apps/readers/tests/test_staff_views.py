import pytest
from django.urls import reverse

from apps.accounts.tests.factories import UserFactory
from apps.core.models import AuditLog
from apps.readers.selectors import reader_listed_list

from .factories import ReaderProfileFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["staff_readers:reader_list", "staff_readers:reader_detail"])
def test_staff_reader_pages_non_admin_404(client, name):
    # given
    reader = ReaderProfileFactory()
    client.force_login(UserFactory())
    args = [reader.pk] if name.endswith("detail") else []
    # when
    response = client.post(reverse(name, args=args), {"reason": "x"})
    # then
    assert response.status_code == 404
    reader.refresh_from_db()
    assert not reader.is_suspended


def test_staff_reader_detail_suspend_with_reason_unlists_and_audits(admin_client, admin_user):
    # given
    reader = ReaderProfileFactory(display_name="Selene")
    url = reverse("staff_readers:reader_detail", args=[reader.pk])
    # when
    response = admin_client.post(url, {"reason": "Identity documents under review"})
    # then
    assert response.status_code == 302
    assert not reader_listed_list().exists()
    log = AuditLog.objects.get(action="readers.suspended")
    assert log.actor == admin_user and log.details["reason"] == "Identity documents under review"
    assert b"Selene" in admin_client.get(reverse("staff_readers:reader_list"), {"q": "sel"}).content


def test_staff_reader_detail_suspend_without_reason_refused(admin_client):
    # given
    reader = ReaderProfileFactory()
    # when
    response = admin_client.post(reverse("staff_readers:reader_detail", args=[reader.pk]), {"reason": ""})
    # then
    assert response.status_code == 400
    assert b"Please give a reason for the suspension." in response.content
    reader.refresh_from_db()
    assert not reader.is_suspended


def test_staff_reader_detail_reinstate_lists_again(admin_client):
    # given
    reader = ReaderProfileFactory(is_suspended=True, suspension_reason="Review")
    # when
    admin_client.post(reverse("staff_readers:reader_detail", args=[reader.pk]), {"reason": ""})
    # then
    assert list(reader_listed_list()) == [reader]
    assert AuditLog.objects.filter(action="readers.unsuspended").exists()
