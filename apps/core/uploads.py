"""Checked uploads: what a file really is, decided by its content, and a private place to keep it.

``upload_check(file, kinds={"image", "pdf"}, max_bytes=...)`` reads the upload and returns a ``CheckedUpload``
or raises ``UploadRefused`` (an ``InvalidInputError``, 400) with a reason fit to show the user. Neither the
file's name nor the browser's Content-Type counts:

- an image must open and verify with Pillow as JPEG, PNG or WebP, one frame, at most ``MAX_IMAGE_PIXELS``;
  it is decoded fully and re-encoded upright, so its EXIF (GPS, camera), comments and every other piece of
  metadata are gone from the bytes returned;
- a PDF must start with ``%PDF-`` at byte 0 and end with ``%%EOF`` (trailing whitespace allowed), and must
  not hold anything a browser or reader would run or open: HTML, SVG or script markers (a polyglot), or the
  PDF actions ``/JavaScript``, ``/JS``, ``/Launch``, ``/EmbeddedFile``.

``image_metadata_found(data, max_bytes=...)`` tells a stored image's metadata (what ``upload_check`` would drop)
from its clean copy, for images stored before uploads were re-encoded.

``private_file_save(content=..., prefix="shop", extension="pdf")`` stores bytes in the private "default"
storage under an unguessable key and returns the key, for ``apps.core.files.file_link_issue``.
"""

import io
import os
import re
import secrets
import unicodedata
import warnings
from dataclasses import dataclass
from typing import IO, Any

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from PIL import Image, ImageOps, UnidentifiedImageError

from .exceptions import InvalidInputError

KINDS = frozenset({"image", "pdf"})
MAX_IMAGE_PIXELS = 40_000_000  # far above any real photo; refuses decompression bombs before decoding
IMAGE_FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"), "WEBP": ("webp", "image/webp")}
# What Pillow raises for a file it cannot read (UnidentifiedImageError is an OSError; truncated or corrupt data
# raise OSError, SyntaxError or ValueError; a decompression bomb raises its own error).
IMAGE_READ_ERRORS = (OSError, SyntaxError, ValueError, Image.DecompressionBombError)
# Bytes that have no business in a PDF we hand to other people: markup a browser would render if it sniffed the
# file, and the PDF actions that run code or open other files.
PDF_FORBIDDEN = re.compile(
    rb"<\s*(?:html|head|body|script|svg|iframe|object|embed|meta)\b|<!doctype|javascript:"
    rb"|/JavaScript\b|/JS\b|/Launch\b|/EmbeddedFiles?\b|/RichMedia\b|/XFA\b",
    re.IGNORECASE,
)
# Re-encoding: good quality, nothing carried over (the image is new, and no exif/icc/pnginfo is passed).
ENCODE_OPTIONS: dict[str, dict[str, Any]] = {
    "JPEG": {"quality": 90},
    "PNG": {"optimize": True},
    "WEBP": {"quality": 90},
}
# Facts about how the pixels are laid out or shown, not about the person or the camera: not metadata.
IMAGE_LAYOUT_INFO = frozenset(
    {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi", "progressive", "progression", "adobe",
     "adobe_transform", "transparency", "gamma", "srgb", "chromaticity", "aspect", "interlace"}
)  # fmt: skip
IMAGE_LAYOUT_SEGMENTS = frozenset({"APP0", "APP14"})  # JPEG's JFIF header and Adobe colour transform
PDF_EOF = re.compile(rb"%%EOF[\x00\t\n\f\r ]*\Z")

WRONG_KIND = {
    frozenset({"image"}): "This file is not a JPEG, PNG or WebP image",
    frozenset({"pdf"}): "This file is not a PDF",
    KINDS: "This file is not a JPEG, PNG or WebP image or a PDF",
}


class UploadRefused(InvalidInputError):
    """The upload is not a file we accept; ``message`` says why, in words for the person who sent it."""

    default_message = "This file cannot be accepted."


@dataclass(frozen=True)
class CheckedUpload:
    content: bytes  # what to store: the re-encoded image, or the PDF as sent
    content_type: str
    extension: str  # without the dot
    original_name: str  # the sender's file name, made safe to show and to use in a download's file name
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class ImageFacts:
    format: str  # "JPEG", "PNG" or "WEBP"
    extension: str
    content_type: str
    width: int
    height: int
    is_animated: bool


def _megabytes(size: int) -> str:
    value = size / (1024 * 1024)
    return f"{value:.0f} MB" if value >= 1 and value == int(value) else f"{value:.1f} MB"


def upload_name_clean(name: str) -> str:
    """``name`` without any directory, control or markup characters, at most 120 characters; "file" if empty."""
    base = os.path.basename(str(name or "").replace("\\", "/"))
    base = unicodedata.normalize("NFC", base)
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C" and ch not in '<>:"/\\|?*`')
    base = re.sub(r"\s+", " ", base).strip(" .")
    if len(base) > 120:
        stem, extension = os.path.splitext(base)
        base = stem[: 120 - len(extension[:16])] + extension[:16]
    return base or "file"


def image_inspect(source: IO[bytes], *, max_pixels: int = MAX_IMAGE_PIXELS) -> ImageFacts:
    """What image ``source`` holds (read from its start, left at its start), checked by Pillow's verify.

    Raises ``UploadRefused`` with ``code`` "bad_type" (not an image Pillow can read), "bad_format" (an image,
    but not a JPEG, PNG or WebP) or "too_many_pixels". Shared by every image check, so each keeps only its own wording.
    """
    try:
        source.seek(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the pixel count is checked below
            opened = Image.open(source)
        with opened as image:
            image_format = image.format or ""
            width, height = image.size
            if image_format not in IMAGE_FORMATS:
                raise UploadRefused(WRONG_KIND[frozenset({"image"})], code="bad_format")
            if width * height > max_pixels:
                raise UploadRefused("The image has too many pixels", code="too_many_pixels")
            is_animated = bool(getattr(image, "is_animated", False))
            image.verify()
    except UploadRefused:
        raise
    except (UnidentifiedImageError, *IMAGE_READ_ERRORS):
        raise UploadRefused(WRONG_KIND[frozenset({"image"})], code="bad_type") from None
    finally:
        source.seek(0)
    extension, content_type = IMAGE_FORMATS[image_format]
    return ImageFacts(image_format, extension, content_type, width, height, is_animated)


def _image_reencode(data: bytes, facts: ImageFacts) -> tuple[bytes, int, int]:
    """``data`` decoded fully, turned upright and encoded again in its own format, with no metadata at all."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            opened.load()  # decodes every byte: a truncated file fails here, not in someone's browser
            upright = ImageOps.exif_transpose(opened)
    except IMAGE_READ_ERRORS:
        raise UploadRefused("This image is damaged or incomplete", code="bad_type") from None
    # A new image from the pixels alone: nothing of the original's info (EXIF, XMP, ICC, comments) follows.
    if facts.format == "JPEG":
        mode = "L" if upright.mode in ("L", "1") else "RGB"
    else:
        mode = "RGBA" if upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info else "RGB"
    pixels = upright.convert(mode)
    clean = Image.new(mode, pixels.size)
    clean.paste(pixels)
    out = io.BytesIO()
    clean.save(out, format=facts.format, **ENCODE_OPTIONS[facts.format])
    return out.getvalue(), clean.width, clean.height


def _pdf_check(data: bytes) -> None:
    if not data.startswith(b"%PDF-") or not PDF_EOF.search(data[-1024:]):
        raise UploadRefused(WRONG_KIND[frozenset({"pdf"})], code="bad_type")
    if PDF_FORBIDDEN.search(data):
        raise UploadRefused(
            "This PDF holds scripts, web page code or embedded files, which we do not accept", code="pdf_active"
        )


def upload_check(file: Any, *, kinds: set[str], max_bytes: int) -> CheckedUpload:
    """Read ``file`` (an upload or any binary file object) and accept it only if its content is of ``kinds``.

    Raises ``UploadRefused`` with a human reason otherwise. Nothing is stored.
    """
    wanted = frozenset(kinds)
    if not wanted or not wanted <= KINDS:
        raise ValueError(f"upload_check kinds must be a non-empty subset of {sorted(KINDS)}, not {sorted(kinds)}")
    size = getattr(file, "size", None)
    if size is not None and size > max_bytes:
        raise UploadRefused(f"Larger than {_megabytes(max_bytes)}", code="too_large")
    file.seek(0)
    data = file.read(max_bytes + 1)
    file.seek(0)
    if len(data) > max_bytes:
        raise UploadRefused(f"Larger than {_megabytes(max_bytes)}", code="too_large")
    if not data:
        raise UploadRefused("The file is empty", code="empty")
    name = upload_name_clean(getattr(file, "name", "") or "")
    if "pdf" in wanted and data.startswith(b"%PDF-"):
        _pdf_check(data)
        return CheckedUpload(content=data, content_type="application/pdf", extension="pdf", original_name=name)
    if "image" in wanted:
        try:
            facts = image_inspect(io.BytesIO(data))
        except UploadRefused as refused:
            if refused.code in ("bad_type", "bad_format"):
                raise UploadRefused(WRONG_KIND[wanted], code="bad_type") from None
            raise
        if facts.is_animated:
            raise UploadRefused("Animated images are not accepted", code="animated")
        content, width, height = _image_reencode(data, facts)
        return CheckedUpload(
            content=content,
            content_type=facts.content_type,
            extension=facts.extension,
            original_name=name,
            width=width,
            height=height,
        )
    raise UploadRefused(WRONG_KIND[wanted], code="bad_type")


def _trailing_bytes(data: bytes, image_format: str) -> bool:
    """Whether bytes follow the end of the image (a file appended to it): Pillow ignores them, browsers too."""
    if image_format == "JPEG":
        end = data.rfind(b"\xff\xd9") + 2
    elif image_format == "PNG":
        end = data.rfind(b"IEND") + 8  # the chunk type, then its 4-byte CRC
    else:  # WEBP: a RIFF file says its own length
        end = int.from_bytes(data[4:8], "little") + 8
    return 1 < end < len(data.rstrip(b"\x00"))


def _image_marks(data: bytes) -> set[str]:
    """Every piece of metadata Pillow finds in ``data``: EXIF, info entries (XMP, ICC, comments, PNG text) and
    JPEG application segments beyond the JFIF header, plus "trailing data"."""
    with Image.open(io.BytesIO(data)) as image:
        image.load()  # PNG text chunks after the pixels are read only here
        marks = {str(key) for key in image.info if key not in IMAGE_LAYOUT_INFO}
        if image.getexif():
            marks.add("exif")
        marks |= {str(marker) for marker, _ in getattr(image, "applist", []) if marker not in IMAGE_LAYOUT_SEGMENTS}
        if _trailing_bytes(data, image.format or ""):
            marks.add("trailing data")
    return marks


def image_metadata_found(file: Any, *, max_bytes: int) -> tuple[list[str], CheckedUpload]:
    """The metadata of the stored image in ``file`` that ``upload_check`` drops, and the clean copy it makes.

    An empty list means the image is clean as stored (re-encoding its clean copy finds nothing more either, so a
    second pass over rewritten files finds nothing). Raises ``UploadRefused`` for a file that is not an image the
    upload check keeps (damaged, too large, animated, another format).
    """
    checked = upload_check(file, kinds={"image"}, max_bytes=max_bytes)
    file.seek(0)
    data = file.read(max_bytes + 1)
    file.seek(0)
    try:
        found = _image_marks(data) - _image_marks(checked.content)
    except IMAGE_READ_ERRORS:
        raise UploadRefused("This image is damaged or incomplete", code="bad_type") from None
    return sorted(found), checked


def private_file_save(*, content: bytes, prefix: str, extension: str) -> str:
    """Store ``content`` in the private "default" storage under ``prefix``/<random>.<extension>; returns the key.

    The key holds 128 random bits, so nobody finds the file by guessing; it is opened only through a file link.
    """
    if not re.fullmatch(r"[a-z0-9_]+(?:/[a-z0-9_]+)*", prefix) or not re.fullmatch(r"[a-z0-9]{1,8}", extension):
        raise ValueError("prefix is lowercase path segments and extension a short lowercase word, without dots")
    key = f"{prefix}/{secrets.token_hex(16)}.{extension}"
    return storages["default"].save(key, ContentFile(content))
