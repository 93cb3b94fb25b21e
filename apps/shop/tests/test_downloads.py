"""Digital delivery against a real S3 server (SeaweedFS) that enforces presigned signatures and expiry: a fresh link
downloads the file; an expired, tampered or other account's link is refused; links and downloads are logged."""

import urllib.error
import urllib.request
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from apps.accounts.tests.factories import UserFactory
from apps.core.models import FileDownload, FileLink

from .helpers import checkout, pay, stripe_product

pytestmark = pytest.mark.django_db

CONTENT = b"%PDF-1.4 the moon journal\n"


def _fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # nosec B310: the test's own http URL of the local S3 server
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture
def bought(client, stripe_server, s3_storage):
    """A buyer's paid order of a digital product whose file is in the private bucket."""
    buyer = UserFactory()
    product = stripe_product(stripe_server, "Moon journal")
    key = s3_storage.save(product.file_key, ContentFile(CONTENT))
    assert key == product.file_key
    order = pay(client, stripe_server, checkout(buyer, (product, 1)))
    return buyer, order, order.items.get()


def _issue(client, order, item) -> str:
    response = client.post(reverse("shop:download_link", args=[order.pk, item.pk]))
    assert response.status_code == 302
    page = client.get(reverse("shop:order", args=[order.pk]))
    return page.context["items"][0].fresh_link["url"]


def test_fresh_link_downloads_the_file_from_the_bucket(client, bought, settings):
    buyer, order, item = bought
    client.force_login(buyer)
    url = _issue(client, order, item)
    link = FileLink.objects.get()
    assert (link.user, link.purpose, link.storage_key) == (buyer, "shop.download", item.product.file_key)
    assert link.expires_at - timezone.now() > settings.SHOP_DOWNLOAD_LINK_TTL - timedelta(minutes=1)
    presigned = client.get(url)["Location"]
    assert _fetch(presigned) == (200, CONTENT)
    assert FileDownload.objects.get().outcome == "served"


def test_tampered_presigned_url_and_tampered_token_are_refused(client, bought):
    buyer, order, item = bought
    client.force_login(buyer)
    url = _issue(client, order, item)
    presigned = client.get(url)["Location"]
    signature = parse_qs(urlsplit(presigned).query)["X-Amz-Signature"][0]
    status, body = _fetch(presigned.replace(signature, signature[::-1]))
    assert status == 403 and CONTENT not in body
    token = url.rstrip("/").rsplit("/", 1)[-1]
    assert client.get(url.replace(token, token[:-1] + ("A" if token[-1] != "A" else "B"))).status_code == 404


def test_another_account_and_an_expired_link_are_refused_and_a_new_link_works(client, bought):
    buyer, order, item = bought
    client.force_login(buyer)
    url = _issue(client, order, item)
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    FileLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    client.force_login(buyer)
    expired = client.get(url)
    assert expired.status_code == 410 and b"expired" in expired.content
    # the buyer can always get a new link
    fresh = _issue(client, order, item)
    assert fresh != url and _fetch(client.get(fresh)["Location"]) == (200, CONTENT)
    assert FileLink.objects.count() == 2
    assert list(FileDownload.objects.order_by("pk").values_list("outcome", flat=True)) == [
        "wrong_user",
        "expired",
        "served",
    ]


def test_no_link_for_a_stranger_or_an_unpaid_order(client, stripe_server, bought):
    buyer, order, item = bought
    client.force_login(UserFactory())
    assert client.post(reverse("shop:download_link", args=[order.pk, item.pk])).status_code == 404
    pending = checkout(buyer, (item.product, 1))
    client.force_login(buyer)
    pending_item = pending.items.get()
    assert client.post(reverse("shop:download_link", args=[pending.pk, pending_item.pk])).status_code == 404
    assert not FileLink.objects.exists()
