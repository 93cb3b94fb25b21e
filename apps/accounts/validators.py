"""Checks for uploaded images (avatars, reader application photos).

The type is decided by decoding the file's content with Pillow (``apps.core.uploads.image_inspect``), never by
its name or the browser's Content-Type. Only JPEG, PNG and WebP are accepted. The file is stored as sent (only
admins and its owner see it); ``apps.core.uploads.upload_check`` is the check that also strips metadata.
"""

import uuid

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from apps.core.uploads import MAX_IMAGE_PIXELS, UploadRefused, image_inspect

MAX_IMAGE_BYTES = 2 * 1024 * 1024
IMAGE_ACCEPT = "image/jpeg,image/png,image/webp"
# The shared image check's refusals (apps.core.uploads.image_inspect), in this form's words.
IMAGE_REFUSALS = {
    "bad_type": "This file is not an image we can read. Please upload a JPEG, PNG or WebP image.",
    "bad_format": "Please upload a JPEG, PNG or WebP image.",
    "too_many_pixels": "The image dimensions are too large.",
}
IMAGE_REFUSAL_CODES = {"bad_type": "bad_type", "bad_format": "bad_type", "too_many_pixels": "too_many_pixels"}


def image_upload_validate(file: UploadedFile) -> str:
    """Validate ``file`` and return the extension that matches its real content.

    Raises ``ValidationError`` with a message fit to show next to the field.
    """
    if file.size is None or file.size > MAX_IMAGE_BYTES:
        raise ValidationError("The image is larger than 2 MB. Please choose a smaller file.", code="too_large")
    if file.size == 0:
        raise ValidationError("The file is empty.", code="empty")
    try:
        facts = image_inspect(file, max_pixels=MAX_IMAGE_PIXELS)
    except UploadRefused as refused:
        raise ValidationError(IMAGE_REFUSALS[refused.code], code=IMAGE_REFUSAL_CODES[refused.code]) from None
    return facts.extension


def image_upload_prepare(file: UploadedFile) -> UploadedFile:
    """Validate ``file`` and give it a random name with the extension of its real type."""
    extension = image_upload_validate(file)
    file.name = f"{uuid.uuid4().hex}.{extension}"
    return file
