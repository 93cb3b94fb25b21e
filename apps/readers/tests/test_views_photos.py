"""Uploaded reader photos: through the real editor form, served from the public storage, shown as thumbnails."""

import re

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from apps.accounts.tests.factories import ReaderFactory, image_upload

pytestmark = pytest.mark.django_db


def _editor_data(**overrides):
    data = {
        "display_name": "Selene",
        "headline": "Moon and tarot",
        "bio": "Readings by moonlight.",
        "years_experience": "12",
        "text_rate_amount": "2.00",
        "paid_reply_amount": "1.00",
    }
    return {**data, **overrides}


def test_dashboard_profile_uploaded_photo_served_and_shown_as_image(client):
    # given: a new reader on their profile editor
    reader = ReaderFactory()
    client.force_login(reader)
    client.get(reverse("readers:dashboard_profile"))
    # when: they upload a photo through the form
    response = client.post(
        reverse("readers:dashboard_profile"),
        _editor_data(photo=image_upload("selene.jpg", image_format="JPEG", size=(800, 600))),
    )
    # then: the editor shows the photo itself, not where it is stored
    assert response.status_code == 302
    page = client.get(reverse("readers:dashboard_profile")).content.decode()
    src = re.search(r'<img src="([^"]+)" alt="Your current photo"', page).group(1)
    assert re.fullmatch(r"/media/public/readers/\d{4}/\d{2}/selene-320(_\w+)?\.webp", src)
    assert "Currently:" not in page and "Remove this photo" in page
    # and the URL answers with the image
    served = client.get(src)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/webp"
    assert b"".join(served.streaming_content).startswith(b"RIFF")


def test_public_media_private_files_not_served(client):
    # given: a private file (an application photo) in the default storage
    name = default_storage.save("reader-applications/2026/12/private.png", image_upload())
    # when
    direct = client.get(f"/media/{name}")
    traversal = client.get(f"/media/public/../{name}")
    # then
    assert direct.status_code == 404
    assert traversal.status_code in (400, 404)


def test_public_media_missing_file_404(client):
    # when
    response = client.get("/media/public/readers/2026/12/nobody.webp")
    # then
    assert response.status_code == 404
