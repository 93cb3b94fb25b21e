"""Checks for uploaded images (avatars, reader application photos).

The type is decided by decoding the file's content with Pillow, never by its name or the browser's
Content-Type. Only JPEG, PNG and WebP are accepted.
"""

import uuid

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, UnidentifiedImageError

MAX_IMAGE_BYTES = 2 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000  # far above any real photo; refuses decompression bombs early
ALLOWED_IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
IMAGE_ACCEPT = "image/jpeg,image/png,image/webp"


def image_upload_validate(file: UploadedFile) -> str:
    """Validate ``file`` and return the extension that matches its real content.

    Raises ``ValidationError`` with a message fit to show next to the field.
    """
    if file.size is None or file.size > MAX_IMAGE_BYTES:
        raise ValidationError("The image is larger than 2 MB. Please choose a smaller file.", code="too_large")
    if file.size == 0:
        raise ValidationError("The file is empty.", code="empty")
    try:
        file.seek(0)
        with Image.open(file) as image:
            image_format = image.format
            width, height = image.size
            if image_format not in ALLOWED_IMAGE_FORMATS:
                raise ValidationError("Please upload a JPEG, PNG or WebP image.", code="bad_type")
            if width * height > MAX_IMAGE_PIXELS:
                raise ValidationError("The image dimensions are too large.", code="too_many_pixels")
            image.verify()
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            "This file is not an image we can read. Please upload a JPEG, PNG or WebP image.", code="bad_type"
        )
    finally:
        file.seek(0)
    return ALLOWED_IMAGE_FORMATS[image_format]  # type: ignore[index]


def image_upload_prepare(file: UploadedFile) -> UploadedFile:
    """Validate ``file`` and give it a random name with the extension of its real type."""
    extension = image_upload_validate(file)
    file.name = f"{uuid.uuid4().hex}.{extension}"
    return file
