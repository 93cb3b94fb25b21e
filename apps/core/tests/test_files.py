"""Links to private files: only their user opens them, until they expire, every attempt logged."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.utils import timezone

from apps.accounts.tests.factories import UserFactory
from apps.core.exceptions import InvalidInputError
from apps.core.files import file_link_issue, file_links_for
from apps.core.models import FileDownload, FileLink

pytestmark = pytest.mark.django_db

CONTENT = b"%PDF-1.4\nA guide to the Major Arcana\n%%EOF\n"


@pytest.fixture
def private_dir(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def stored_key(private_dir):
    return storages["default"].save("shop/guide-abc.pdf", ContentFile(CONTENT))


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_file_link_issue_stores_only_the_token_hash(stored_key):
    # given
    user = UserFactory()
    # when
    link, url = file_link_issue(user=user, storage_key=stored_key, filename="Guide.pdf", purpose="shop.download")
    # then
    token = url.removeprefix("/files/").removesuffix("/")
    assert url.startswith("/files/") and len(token) == 43
    assert token not in link.token_hash and len(link.token_hash) == 64
    assert link.expires_at - timezone.now() == pytest.approx(timedelta(hours=24), abs=timedelta(seconds=30))
    assert link.storage == "default" and link.content_type == "application/octet-stream"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"purpose": "download"}, "app.kind"),
        ({"purpose": "Shop.Download"}, "app.kind"),
        ({"storage": "elsewhere"}, "no private storage"),
        ({"storage_key": "../etc/passwd"}, "key"),
        ({"storage_key": ""}, "key"),
    ],
)
def test_file_link_issue_bad_values_refused_and_nothing_written(kwargs, message):
    # given
    values = {"user": UserFactory(), "storage_key": "shop/a.pdf", "filename": "a.pdf", "purpose": "shop.download"}
    # when / then
    with pytest.raises(InvalidInputError, match=message):
        file_link_issue(**{**values, **kwargs})
    assert not FileLink.objects.exists()


def test_file_download_local_file_served_as_attachment_to_its_user(client, stored_key):
    # given
    user = UserFactory()
    link, url = file_link_issue(
        user=user,
        storage_key=stored_key,
        filename='Guide "v2".pdf',
        purpose="shop.download",
        content_type="application/pdf",
    )
    client.force_login(user)
    # when
    response = client.get(url, REMOTE_ADDR="203.0.113.9")
    # then
    assert response.status_code == 200
    assert _body(response) == CONTENT
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "Guide" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    download = FileDownload.objects.get()
    assert (download.link, download.user, download.outcome, download.ip_address) == (
        link,
        user,
        "served",
        "203.0.113.9",
    )


def test_file_download_another_users_link_is_404_and_logged(client, stored_key):
    # given
    owner, stranger = UserFactory(), UserFactory()
    link, url = file_link_issue(user=owner, storage_key=stored_key, filename="a.pdf", purpose="shop.download")
    client.force_login(stranger)
    # when
    response = client.get(url)
    # then
    assert response.status_code == 404
    assert b"not valid for this account" in response.content
    assert CONTENT not in response.content
    download = FileDownload.objects.get()
    assert (download.link, download.user, download.outcome) == (link, stranger, "wrong_user")


def test_file_download_tampered_token_is_404_and_logged(client, stored_key):
    # given
    user = UserFactory()
    _link, url = file_link_issue(user=user, storage_key=stored_key, filename="a.pdf", purpose="shop.download")
    token = url.removeprefix("/files/").removesuffix("/")
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    client.force_login(user)
    # when
    response = client.get(f"/files/{tampered}/")
    # then
    assert response.status_code == 404
    assert b"not valid for this account" in response.content
    download = FileDownload.objects.get()
    assert (download.link, download.user, download.outcome) == (None, user, "unknown")


def test_file_download_expired_link_is_410_for_its_user_only(client, stored_key):
    # given
    owner, stranger = UserFactory(), UserFactory()
    link, url = file_link_issue(
        user=owner, storage_key=stored_key, filename="a.pdf", purpose="shop.download", ttl=timedelta(hours=1)
    )
    FileLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    # when
    client.force_login(owner)
    expired = client.get(url)
    client.force_login(stranger)
    strangers = client.get(url)
    # then
    assert expired.status_code == 410
    assert b"expired" in expired.content and b"fresh one" in expired.content
    assert strangers.status_code == 404  # a stranger does not learn that the link exists
    assert list(FileDownload.objects.order_by("pk").values_list("outcome", flat=True)) == ["expired", "wrong_user"]


def test_file_download_file_gone_from_storage_is_404(client, stored_key):
    # given
    user = UserFactory()
    _link, url = file_link_issue(user=user, storage_key=stored_key, filename="a.pdf", purpose="shop.download")
    storages["default"].delete(stored_key)
    client.force_login(user)
    # when
    response = client.get(url)
    # then
    assert response.status_code == 404
    assert b"no longer available" in response.content
    assert FileDownload.objects.get().outcome == "missing"


def test_file_download_anonymous_sent_to_sign_in_and_nothing_logged(client, stored_key):
    # given
    _link, url = file_link_issue(user=UserFactory(), storage_key=stored_key, filename="a", purpose="shop.download")
    # when
    response = client.get(url)
    # then
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not FileDownload.objects.exists()


def test_file_links_for_lists_a_users_links_of_one_purpose(stored_key):
    # given
    user = UserFactory()
    export, _ = file_link_issue(user=user, storage_key=stored_key, filename="a", purpose="privacy.export")
    download, _ = file_link_issue(user=user, storage_key=stored_key, filename="b", purpose="shop.download")
    old, _ = file_link_issue(user=user, storage_key=stored_key, filename="c", purpose="shop.download")
    FileLink.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    file_link_issue(user=UserFactory(), storage_key=stored_key, filename="d", purpose="shop.download")
    # when / then
    assert list(file_links_for(user, "shop.download")) == [old, download]
    assert list(file_links_for(user, "shop.download", active_only=True)) == [download]
    assert set(file_links_for(user)) == {export, download, old}
