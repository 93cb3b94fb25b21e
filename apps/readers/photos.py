"""Reader photos: stored in the public storage with two square thumbnails made by Pillow at upload time.

Pages show the thumbnails (twice the displayed size, for high-density screens), never the original upload.
The kept photo and the thumbnails are all re-encoded (``apps.core.uploads.upload_check``), so nothing of the
upload's metadata (camera, location) is stored in the public storage.
"""

import io
import os
from typing import Any

from django.core.files.base import ContentFile, File
from PIL import Image, ImageOps

from apps.core.uploads import IMAGE_READ_ERRORS, UploadRefused, upload_check

from .constants import PHOTO_MAX_BYTES
from .models import ReaderProfile

# What Pillow raises for a file it cannot read, and the upload check's refusal.
PHOTO_READ_ERRORS = (*IMAGE_READ_ERRORS, UploadRefused)

# Pixel sizes: cards show photos at 72 px (small), the profile page and editor at 160 px (large).
THUMBNAIL_SIZES = {"photo_small": 144, "photo_large": 320}


def thumbnail_bytes(source: Any, *, size: int) -> bytes:
    """A ``size``×``size`` WebP of the image in ``source`` (file-like), centred, upright per its EXIF."""
    source.seek(0)
    with Image.open(source) as opened:
        image: Image.Image = ImageOps.exif_transpose(opened)
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if "transparency" in image.info else "RGB")
        square = ImageOps.fit(image, (size, size), method=Image.Resampling.LANCZOS)
        out = io.BytesIO()
        square.save(out, format="WEBP", quality=85, method=4)
    return out.getvalue()


def reader_photo_store(*, profile: ReaderProfile, source: File | Any, name: str) -> list[str]:
    """Store ``source`` as the profile's photo with fresh thumbnails (the caller saves the profile).

    Returns the names of the files it replaced, for the caller to delete once its transaction commits.
    """
    checked = upload_check(source, kinds={"image"}, max_bytes=PHOTO_MAX_BYTES)  # re-encoded: no EXIF or GPS
    replaced = [field.name for field in (profile.photo, profile.photo_small, profile.photo_large) if field]
    stem = os.path.splitext(os.path.basename(name))[0][:60] or "photo"
    profile.photo.save(f"{stem}.{checked.extension}", ContentFile(checked.content), save=False)
    for field_name, size in THUMBNAIL_SIZES.items():
        data = thumbnail_bytes(io.BytesIO(checked.content), size=size)
        getattr(profile, field_name).save(f"{stem}-{size}.webp", ContentFile(data), save=False)
    return replaced


def reader_photo_clear(*, profile: ReaderProfile) -> list[str]:
    """Remove the profile's photo and thumbnails (the caller saves); returns the file names to delete."""
    replaced = [field.name for field in (profile.photo, profile.photo_small, profile.photo_large) if field]
    profile.photo = profile.photo_small = profile.photo_large = None  # type: ignore[assignment]
    return replaced


def reader_photo_files_delete(names: list[str]) -> None:
    """Delete replaced photo files (run after commit: a rolled-back change still has its files)."""
    storage = ReaderProfile._meta.get_field("photo").storage  # type: ignore[attr-defined]
    for name in filter(None, names):
        storage.delete(name)
