"""Checks for uploaded images (avatars, reader application photos).

The type is decided by decoding the file's content with Pillow (``apps.core.uploads``), never by its name or the
browser's Content-Type. Only still JPEG, PNG and WebP images are accepted.

``image_upload_validate`` is the quick check a form runs to show an error beside the field. ``image_upload_prepare``
is what services store: the image decoded fully and re-encoded upright by ``apps.core.uploads.upload_check``, so
none of the upload's metadata (EXIF with GPS location and camera serial, orientation, ICC profile, comments) and
nothing hidden around the pixels is kept, even though only the owner and admins ever see these files.
"""

import uuid

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile

from apps.core.uploads import MAX_IMAGE_PIXELS, UploadRefused, image_inspect, upload_check

MAX_IMAGE_BYTES = 2 * 1024 * 1024
IMAGE_ACCEPT = "image/jpeg,image/png,image/webp"
# The shared image checks' refusals (apps.core.uploads), in this form's words.
IMAGE_REFUSALS = {
    "too_large": "The image is larger than 2 MB. Please choose a smaller file.",
    "empty": "The file is empty.",
    "bad_type": "This file is not an image we can read. Please upload a JPEG, PNG or WebP image.",
    "bad_format": "Please upload a JPEG, PNG or WebP image.",
    "too_many_pixels": "The image dimensions are too large.",
    "animated": "Animated images are not accepted. Please upload a still JPEG, PNG or WebP image.",
}


def _refusal(refused: UploadRefused) -> ValidationError:
    code = "bad_type" if refused.code == "bad_format" else refused.code
    return ValidationError(IMAGE_REFUSALS.get(refused.code, refused.message), code=code)


def image_upload_validate(file: UploadedFile) -> str:
    """Validate ``file`` and return the extension that matches its real content.

    Raises ``ValidationError`` with a message fit to show next to the field.
    """
    if file.size is None or file.size > MAX_IMAGE_BYTES:
        raise ValidationError(IMAGE_REFUSALS["too_large"], code="too_large")
    if file.size == 0:
        raise ValidationError(IMAGE_REFUSALS["empty"], code="empty")
    try:
        facts = image_inspect(file, max_pixels=MAX_IMAGE_PIXELS)
    except UploadRefused as refused:
        raise _refusal(refused) from None
    if facts.is_animated:
        raise ValidationError(IMAGE_REFUSALS["animated"], code="animated")
    return facts.extension


def image_upload_prepare(file: UploadedFile) -> ContentFile:
    """The image in ``file`` re-encoded upright with no metadata, named randomly with its real type's extension.

    Raises ``ValidationError`` (the same words as ``image_upload_validate``) if it is not an image we keep,
    including one that passes the quick check but cannot be decoded to the end.
    """
    try:
        checked = upload_check(file, kinds={"image"}, max_bytes=MAX_IMAGE_BYTES)
    except UploadRefused as refused:
        raise _refusal(refused) from None
    return ContentFile(checked.content, name=f"{uuid.uuid4().hex}.{checked.extension}")
