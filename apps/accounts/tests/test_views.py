import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from apps.accounts.enums import ApplicationStatus
from apps.accounts.models import ReaderApplication
from apps.accounts.services import reader_application_reject
from apps.accounts.tests.factories import (
    UserFactory,
    image_upload,
    reader_application_create,
)
from apps.accounts.validators import MAX_IMAGE_BYTES
from tests.support.images import photo_assert_clean_and_upright, photo_with_location_upload

pytestmark = pytest.mark.django_db

SETTINGS = {
    "display_name": "Star Gazer",
    "timezone": "America/New_York",
    "theme": "dark",
    "notify_email_messages": "on",
}
APPLICATION = {
    "bio": "I have read tarot for my community for many years, with care and honesty.",
    "specialties": "tarot ,  , astrology",
    "tools": "",
    "years_experience": "4",
}


def test_settings_page_links_to_email_password_and_mfa(client, client_user):
    # given
    client.force_login(client_user)
    # when
    content = client.get(reverse("accounts:settings")).content.decode()
    # then
    for name in ("account_email", "account_change_password", "mfa_index"):
        assert f'href="{reverse(name)}"' in content
    assert 'value="Europe/London"' in content


def test_settings_post_valid_saves_and_serves_avatar(client, client_user):
    # given
    client.force_login(client_user)
    # when
    response = client.post(
        reverse("accounts:settings"), {**SETTINGS, "avatar": image_upload("me.webp", image_format="WEBP")}
    )
    # then
    assert response.status_code == 302
    client_user.refresh_from_db()
    assert client_user.display_name == "Star Gazer"
    assert client_user.timezone == "America/New_York"
    assert client_user.theme == "dark"
    assert client_user.notify_email_messages and not client_user.notify_email_readings
    avatar = client.get(reverse("accounts:avatar"))
    assert avatar.status_code == 200 and avatar["Content-Type"] == "image/webp"


@pytest.mark.parametrize(
    "upload, message",
    [
        (lambda: SimpleUploadedFile("a.png", b"GIF89a not really", content_type="image/png"), "not an image"),
        (lambda: image_upload("a.gif", image_format="GIF"), "JPEG, PNG or WebP"),
        (
            lambda: SimpleUploadedFile(
                "a.png", image_upload().read() + b"\0" * MAX_IMAGE_BYTES, content_type="image/png"
            ),
            "larger than 2 MB",
        ),
    ],
)
def test_settings_post_bad_avatar_shows_error_and_changes_nothing(client, client_user, upload, message):
    # given
    client.force_login(client_user)
    before = (client_user.display_name, client_user.timezone, client_user.theme)
    # when
    response = client.post(reverse("accounts:settings"), {**SETTINGS, "avatar": upload()})
    # then
    assert response.status_code == 400
    content = response.content.decode()
    assert message in content
    assert 'aria-describedby="id_avatar_helptext id_avatar_error"' in content
    client_user.refresh_from_db()
    assert (client_user.display_name, client_user.timezone, client_user.theme) == before
    assert not client_user.avatar


def test_settings_post_unknown_timezone_refused(client, client_user):
    client.force_login(client_user)
    response = client.post(reverse("accounts:settings"), {**SETTINGS, "timezone": "Nowhere/Land"})
    assert response.status_code == 400
    client_user.refresh_from_db()
    assert client_user.timezone == "UTC"


def test_settings_requires_login(client):
    response = client.get(reverse("accounts:settings"))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_reader_application_post_valid_creates_pending_and_shows_status(client, client_user):
    # given
    client.force_login(client_user)
    # when
    response = client.post(
        reverse("accounts:reader_application"), {**APPLICATION, "photo": image_upload()}, follow=True
    )
    # then
    application = ReaderApplication.objects.get(applicant=client_user)
    assert application.status == ApplicationStatus.PENDING
    assert application.specialties == "tarot, astrology"
    content = response.content.decode()
    assert "Pending review" in content and "one application open at a time" in content
    assert "Send application" not in content


def test_reader_application_post_while_pending_refused_with_message(client, client_user):
    # given
    reader_application_create(client_user)
    client.force_login(client_user)
    # when
    response = client.post(
        reverse("accounts:reader_application"), {**APPLICATION, "photo": image_upload()}, follow=True
    )
    # then
    assert "cannot send a new application" in response.content.decode()
    assert ReaderApplication.objects.filter(applicant=client_user).count() == 1


def test_reader_application_post_bad_photo_shows_error_and_creates_nothing(client, client_user):
    # given
    client.force_login(client_user)
    fake = SimpleUploadedFile("photo.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")
    # when
    response = client.post(reverse("accounts:reader_application"), {**APPLICATION, "photo": fake})
    # then
    assert response.status_code == 400
    assert "not an image we can read" in response.content.decode()
    assert not ReaderApplication.objects.exists()


def test_reader_application_unverified_client_asked_to_verify(client):
    # given
    user = UserFactory(verified=False)
    client.force_login(user)
    # when
    get = client.get(reverse("accounts:reader_application"))
    client.post(reverse("accounts:reader_application"), {**APPLICATION, "photo": image_upload()})
    # then
    assert "verify your email address" in get.content.decode()
    assert not ReaderApplication.objects.exists()


def test_reader_application_rejected_shows_reason_and_form_again(client, client_user, admin_user):
    # given
    application = reader_application_create(client_user)
    reader_application_reject(actor=admin_user, application_id=application.pk, reason="Please use a clearer photo.")
    client.force_login(client_user)
    # when
    content = client.get(reverse("accounts:reader_application")).content.decode()
    # then
    assert "Please use a clearer photo." in content
    assert "Apply again" in content


def test_reader_application_status_not_visible_to_another_client(client, client_user, other_client_user, admin_user):
    # given
    application = reader_application_create(client_user, bio="A very personal story that only I should see here.")
    reader_application_reject(actor=admin_user, application_id=application.pk, reason="Confidential reason text")
    client.force_login(other_client_user)
    # when
    page = client.get(reverse("accounts:reader_application"))
    photo = client.get(reverse("accounts:reader_application_photo", args=[application.pk]))
    # then
    content = page.content.decode()
    assert "Confidential reason text" not in content and "very personal story" not in content
    assert page.context["latest"] is None
    assert photo.status_code == 404


def test_reader_application_photo_visible_to_applicant(client, client_user):
    application = reader_application_create(client_user)
    client.force_login(client_user)
    response = client.get(reverse("accounts:reader_application_photo", args=[application.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"


# --- Photos keep nothing of the phone's metadata; files that are not plain images are refused ------------------


def _stored_files(settings) -> list[str]:
    return [os.path.join(folder, name) for folder, _, names in os.walk(settings.MEDIA_ROOT) for name in names]


def _html_with_png_inside() -> bytes:
    return b"<!doctype html><html><script>alert(document.cookie)</script></html>" + image_upload().read()


def _pdf_with_jpeg_inside() -> bytes:
    jpeg = image_upload(image_format="JPEG").read()
    header = b"%PDF-1.4\n1 0 obj << /Length " + str(len(jpeg)).encode() + b" >> stream\n"
    return header + jpeg + b"\nendstream endobj\n%%EOF\n"


def _truncated_jpeg() -> bytes:
    whole = photo_with_location_upload().read()
    scan = whole.index(b"\xff\xda")  # headers intact, picture data cut in the middle
    return whole[: scan + (len(whole) - scan) // 2]


def _animated_png() -> bytes:
    buffer = io.BytesIO()
    frames = [Image.new("RGB", (8, 8), colour) for colour in ("red", "blue")]
    frames[0].save(buffer, format="PNG", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


BAD_PHOTOS = [
    pytest.param(_html_with_png_inside, "not an image we can read", id="html-page-holding-a-png"),
    pytest.param(_pdf_with_jpeg_inside, "not an image we can read", id="pdf-holding-a-jpeg"),
    pytest.param(_truncated_jpeg, "not an image we can read", id="jpeg-cut-short"),
    pytest.param(_animated_png, "Animated images are not accepted", id="animated-png"),
]


def test_settings_post_phone_photo_avatar_served_to_owner_upright_without_metadata(
    client, client_user, other_client_user
):
    # given
    client.force_login(client_user)
    # when
    response = client.post(reverse("accounts:settings"), {**SETTINGS, "avatar": photo_with_location_upload()})
    # then
    assert response.status_code == 302
    avatar = client.get(reverse("accounts:avatar"))
    assert avatar.status_code == 200 and avatar["Content-Type"] == "image/jpeg"
    photo_assert_clean_and_upright(b"".join(avatar.streaming_content))
    # and another user is never given it
    client.force_login(other_client_user)
    assert client.get(reverse("accounts:avatar")).status_code == 404


@pytest.mark.parametrize("content, message", BAD_PHOTOS)
def test_settings_post_non_image_or_polyglot_avatar_refused_nothing_stored(
    client, client_user, settings, content, message
):
    # given
    client.force_login(client_user)
    upload = SimpleUploadedFile("me.jpg", content(), content_type="image/jpeg")
    # when
    response = client.post(reverse("accounts:settings"), {**SETTINGS, "avatar": upload})
    # then
    assert response.status_code == 400
    assert message in response.content.decode()
    client_user.refresh_from_db()
    assert not client_user.avatar and client_user.display_name != SETTINGS["display_name"]
    assert _stored_files(settings) == []


def test_reader_application_post_phone_photo_served_to_applicant_upright_without_metadata(
    client, client_user, other_client_user
):
    # given
    client.force_login(client_user)
    # when
    client.post(reverse("accounts:reader_application"), {**APPLICATION, "photo": photo_with_location_upload()})
    # then
    application = ReaderApplication.objects.get(applicant=client_user)
    url = reverse("accounts:reader_application_photo", args=[application.pk])
    photo = client.get(url)
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    photo_assert_clean_and_upright(b"".join(photo.streaming_content))
    # and another client is never given it
    client.force_login(other_client_user)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("content, message", BAD_PHOTOS)
def test_reader_application_post_non_image_or_polyglot_photo_refused_nothing_stored(
    client, client_user, settings, content, message
):
    # given
    client.force_login(client_user)
    upload = SimpleUploadedFile("me.jpg", content(), content_type="image/jpeg")
    # when
    response = client.post(reverse("accounts:reader_application"), {**APPLICATION, "photo": upload})
    # then
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ReaderApplication.objects.exists()
    assert _stored_files(settings) == []
