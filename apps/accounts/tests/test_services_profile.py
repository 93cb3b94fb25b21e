import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from apps.accounts.exceptions import InvalidInputError
from apps.accounts.services import user_update_profile
from apps.accounts.tests.factories import image_upload
from apps.accounts.validators import MAX_IMAGE_BYTES, image_upload_validate
from tests.support.images import GPS_IFD, photo_assert_clean_and_upright, photo_with_location_upload

pytestmark = pytest.mark.django_db


def _profile(**overrides):
    values = {
        "display_name": "Luna",
        "timezone": "Europe/Paris",
        "theme": "light",
        "notify_email_messages": False,
        "notify_email_readings": True,
        "notify_email_account": False,
    }
    values.update(overrides)
    return values


def test_user_update_profile_valid_values_saved(client_user):
    # when
    user_update_profile(user=client_user, avatar=image_upload("face.jpg", image_format="JPEG"), **_profile())
    # then
    client_user.refresh_from_db()
    assert client_user.display_name == "Luna"
    assert client_user.timezone == "Europe/Paris"
    assert client_user.theme == "light"
    assert (client_user.notify_email_messages, client_user.notify_email_account) == (False, False)
    assert client_user.avatar.name.endswith(".jpg")


@pytest.mark.parametrize("image_format", ["PNG", "WEBP", "JPEG"])
def test_user_update_profile_allowed_image_types_accepted(client_user, image_format):
    user_update_profile(user=client_user, avatar=image_upload("x.bin", image_format=image_format), **_profile())
    client_user.refresh_from_db()
    assert client_user.avatar.name.rsplit(".", 1)[1] in {"png", "webp", "jpg"}


def test_user_update_profile_text_file_named_png_refused_nothing_changed(client_user):
    # given
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("avatar.png", b"<script>alert(1)</script>", content_type="image/png")
    # when / then
    with pytest.raises(InvalidInputError, match="not an image"):
        user_update_profile(user=client_user, avatar=fake, **_profile())
    client_user.refresh_from_db()
    assert client_user.display_name != "Luna" and not client_user.avatar


def test_user_update_profile_image_over_2mb_refused_nothing_changed(client_user):
    # given
    from django.core.files.uploadedfile import SimpleUploadedFile

    big = image_upload("big.png")
    padded = SimpleUploadedFile("big.png", big.read() + b"\0" * MAX_IMAGE_BYTES, content_type="image/png")
    # when / then
    with pytest.raises(InvalidInputError, match="2 MB"):
        user_update_profile(user=client_user, avatar=padded, **_profile())
    client_user.refresh_from_db()
    assert client_user.timezone == "UTC" and not client_user.avatar


def test_user_update_profile_unknown_timezone_refused(client_user):
    with pytest.raises(InvalidInputError):
        user_update_profile(user=client_user, **_profile(timezone="Mars/Olympus_Mons"))
    client_user.refresh_from_db()
    assert client_user.timezone == "UTC"


def test_user_update_profile_remove_avatar_clears_it_and_deletes_file_on_commit(
    client_user, django_capture_on_commit_callbacks
):
    # given
    user_update_profile(user=client_user, avatar=image_upload(), **_profile())
    client_user.refresh_from_db()
    storage, name = client_user.avatar.storage, client_user.avatar.name
    assert storage.exists(name)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        user_update_profile(user=client_user, remove_avatar=True, **_profile())
    # then
    client_user.refresh_from_db()
    assert not client_user.avatar
    assert not storage.exists(name)


def _stored_files(settings) -> list[str]:
    return [os.path.join(folder, name) for folder, _, names in os.walk(settings.MEDIA_ROOT) for name in names]


def test_user_update_profile_phone_photo_stored_upright_without_location_or_camera(client_user):
    # given: a phone JPEG with GPS, camera serial and "rotate 90°" orientation
    upload = photo_with_location_upload("IMG_0042.jpg")
    with Image.open(upload) as original:
        assert original.getexif().get_ifd(GPS_IFD) and original.getexif()[0x0112] == 6
    upload.seek(0)
    # when
    user_update_profile(user=client_user, avatar=upload, **_profile())
    # then: the stored file is a fresh upright JPEG under a random name, with nothing of the phone's metadata
    client_user.refresh_from_db()
    name = client_user.avatar.name
    assert name.startswith("avatars/") and name.endswith(".jpg") and "IMG_0042" not in name
    with client_user.avatar.storage.open(name, "rb") as stored:
        photo_assert_clean_and_upright(stored.read())


def test_user_update_profile_animated_avatar_refused_nothing_stored(client_user, settings):
    # given
    buffer = io.BytesIO()
    frames = [Image.new("RGB", (8, 8), colour) for colour in ("red", "blue")]
    frames[0].save(buffer, format="WEBP", save_all=True, append_images=frames[1:])
    animated = SimpleUploadedFile("wink.webp", buffer.getvalue(), content_type="image/webp")
    # when / then
    with pytest.raises(InvalidInputError, match="Animated images are not accepted"):
        user_update_profile(user=client_user, avatar=animated, **_profile())
    client_user.refresh_from_db()
    assert not client_user.avatar and client_user.display_name != "Luna"
    assert _stored_files(settings) == []


def test_user_update_profile_truncated_jpeg_refused_nothing_stored(client_user, settings):
    # given: a JPEG whose header is intact (so a quick look accepts it) but whose picture data is cut short
    whole = photo_with_location_upload().read()
    scan = whole.index(b"\xff\xda")
    truncated = SimpleUploadedFile("cut.jpg", whole[: scan + (len(whole) - scan) // 2], content_type="image/jpeg")
    assert image_upload_validate(truncated) == "jpg"  # the form's quick check lets it through
    # when / then
    with pytest.raises(InvalidInputError, match="not an image we can read"):
        user_update_profile(user=client_user, avatar=truncated, **_profile())
    client_user.refresh_from_db()
    assert not client_user.avatar
    assert _stored_files(settings) == []
