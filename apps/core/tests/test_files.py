"""Links to private files: only their user opens them, until they expire, every attempt logged."""

import urllib.error
import urllib.request
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import botocore.auth
import botocore.compat
import botocore.exceptions
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


# --- on R2: a real S3 server (SeaweedFS) that checks signatures -------------------------------------------------


def _fetch(url: str) -> tuple[int, bytes, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # nosec B310: the test's own http URL of the local S3 server
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def _s3_link(s3_storage, user, **kwargs):
    key = s3_storage.save("shop/guide.pdf", ContentFile(CONTENT))
    return file_link_issue(
        user=user,
        storage_key=key,
        filename="Tarot guide.pdf",
        purpose="shop.download",
        content_type="application/pdf",
        **kwargs,
    )


def test_file_download_on_s3_redirects_to_a_presigned_url_that_downloads_the_bytes(client, s3_storage, settings):
    # given
    user = UserFactory()
    _link, url = _s3_link(s3_storage, user)
    client.force_login(user)
    # when
    response = client.get(url)
    # then
    assert response.status_code == 302
    presigned = response["Location"]
    assert presigned.startswith(f"{settings.R2_ENDPOINT_URL}/{settings.R2_BUCKET}/{s3_storage.location}/shop/")
    query = parse_qs(urlsplit(presigned).query)
    assert query["X-Amz-Expires"] == ["60"]
    status, body, headers = _fetch(presigned)
    assert (status, body) == (200, CONTENT)
    assert (
        headers["Content-Disposition"].startswith("attachment;") and "Tarot guide.pdf" in headers["Content-Disposition"]
    )
    assert headers["Content-Type"] == "application/pdf"
    assert FileDownload.objects.get().outcome == "served"


def test_file_download_on_s3_the_bucket_refuses_unsigned_and_tampered_urls(client, s3_storage, s3_server):
    # given
    user = UserFactory()
    _link, url = _s3_link(s3_storage, user)
    client.force_login(user)
    presigned = client.get(url)["Location"]
    signature = parse_qs(urlsplit(presigned).query)["X-Amz-Signature"][0]
    changed = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    # when
    tampered = _fetch(presigned.replace(signature, changed))
    unsigned = _fetch(presigned.split("?")[0])
    # then
    assert tampered[0] == 403 and CONTENT not in tampered[1]
    assert unsigned[0] == 403 and CONTENT not in unsigned[1]


def test_file_download_on_s3_presigned_url_signed_in_the_past_is_refused(client, s3_storage, monkeypatch):
    # given: the URL is signed as if five minutes ago, so its 60 seconds are over
    user = UserFactory()
    _link, url = _s3_link(s3_storage, user)
    client.force_login(user)
    past = botocore.compat.get_current_datetime() - timedelta(minutes=5)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *args, **kwargs: past)
    # when
    status, body, _headers = _fetch(client.get(url)["Location"])
    # then
    assert status == 403 and b"expired" in body.lower()


def test_file_download_on_s3_presigned_url_refused_once_its_seconds_are_over(client, s3_storage, settings, monkeypatch):
    # given: a URL good for 1 second, signed 2.1 seconds ago (the server's clock has moved on as far as after a
    # 2.1 s wait: it compares its own time with the signature's date plus the URL's seconds)
    settings.FILE_PRESIGNED_SECONDS = 1
    user = UserFactory()
    _link, url = _s3_link(s3_storage, user)
    client.force_login(user)
    earlier = botocore.compat.get_current_datetime() - timedelta(seconds=2.1)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *args, **kwargs: earlier)
    presigned = client.get(url)["Location"]
    assert parse_qs(urlsplit(presigned).query)["X-Amz-Expires"] == ["1"]
    # when
    status, body, _headers = _fetch(presigned)
    # then
    assert status == 403 and CONTENT not in body


def test_file_download_on_s3_another_users_link_is_404_without_a_url(client, s3_storage):
    # given
    owner, stranger = UserFactory(), UserFactory()
    _link, url = _s3_link(s3_storage, owner)
    client.force_login(stranger)
    # when
    response = client.get(url)
    # then
    assert response.status_code == 404 and "Location" not in response
    assert FileDownload.objects.get().outcome == "wrong_user"


def test_file_download_on_s3_missing_object_is_404(client, s3_storage):
    # given
    user = UserFactory()
    link, url = _s3_link(s3_storage, user)
    s3_storage.delete(link.storage_key)
    client.force_login(user)
    # when
    response = client.get(url)
    # then
    assert response.status_code == 404
    assert FileDownload.objects.get().outcome == "missing"


def test_s3_server_refuses_a_wrong_secret(s3_storage, s3_server):
    # given
    s3_storage.save("a.txt", ContentFile(b"x"))
    # when / then
    with pytest.raises(botocore.exceptions.ClientError, match="SignatureDoesNotMatch"):
        s3_server.client(secret_key="not-the-secret").get_object(
            Bucket=s3_server.bucket, Key=f"{s3_storage.location}/a.txt"
        )
