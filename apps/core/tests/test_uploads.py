"""Checked uploads: the content decides, never the name or the browser's type; images lose their metadata."""

import io

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from apps.core.uploads import UploadRefused, image_metadata_found, private_file_save, upload_check
from tests.support.images import photo_with_location

MB = 1024 * 1024
BOTH = {"image", "pdf"}
JPEG_WITH_GPS = photo_with_location(size=(40, 30))  # 30×40 once upright
CLEAN_PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
)


def _image(image_format: str = "PNG", size: tuple[int, int] = (40, 30), **save: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (120, 30, 200)).save(out, format=image_format, **save)
    return out.getvalue()


def _upload(content: bytes, name: str = "file.bin", content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_upload_check_png_sent_as_pdf_is_accepted_as_png():
    # given
    upload = _upload(_image("PNG"), name="scan.pdf", content_type="application/pdf")
    # when
    checked = upload_check(upload, kinds=BOTH, max_bytes=5 * MB)
    # then
    assert (checked.content_type, checked.extension, checked.width, checked.height) == ("image/png", "png", 40, 30)
    assert Image.open(io.BytesIO(checked.content)).format == "PNG"
    assert checked.original_name == "scan.pdf"


def test_upload_check_html_file_refused():
    upload = _upload(b"<!doctype html><html><script>alert(1)</script></html>", "page.png", "image/png")
    with pytest.raises(UploadRefused, match="not a JPEG, PNG or WebP image or a PDF"):
        upload_check(upload, kinds=BOTH, max_bytes=5 * MB)


def test_upload_check_svg_named_png_refused():
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
    with pytest.raises(UploadRefused, match="not a JPEG, PNG or WebP image"):
        upload_check(_upload(svg, "avatar.png", "image/png"), kinds={"image"}, max_bytes=5 * MB)


def test_upload_check_clean_pdf_accepted_as_sent():
    checked = upload_check(_upload(CLEAN_PDF + b"\r\n  ", "Reading notes.pdf"), kinds=BOTH, max_bytes=5 * MB)
    assert (checked.content_type, checked.extension) == ("application/pdf", "pdf")
    assert checked.content == CLEAN_PDF + b"\r\n  "
    assert checked.width is None


@pytest.mark.parametrize(
    "content",
    [
        CLEAN_PDF.replace(b"%%EOF\n", b"<html><body><script>fetch('/')</script></body></html>\n%%EOF\n"),
        CLEAN_PDF.replace(b"%%EOF\n", b'<svg onload="alert(1)"/>\n%%EOF\n'),
        CLEAN_PDF.replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>"),
        CLEAN_PDF.replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /Launch /F (calc.exe) >>"),
        CLEAN_PDF.replace(b"/Type /Catalog", b"/Type /Catalog /Names << /EmbeddedFiles 3 0 R >>"),
    ],
    ids=["html", "svg", "javascript", "launch", "embedded-file"],
)
def test_upload_check_polyglot_or_active_pdf_refused(content):
    with pytest.raises(UploadRefused, match="scripts, web page code or embedded files"):
        upload_check(_upload(content, "a.pdf", "application/pdf"), kinds=BOTH, max_bytes=5 * MB)


@pytest.mark.parametrize(
    "content",
    [b" %PDF-1.4\n%%EOF", CLEAN_PDF.removesuffix(b"%%EOF\n"), CLEAN_PDF + b"<html>after the end</html>"],
    ids=["not-at-byte-0", "no-eof", "bytes-after-eof"],
)
def test_upload_check_malformed_pdf_refused(content):
    with pytest.raises(UploadRefused, match="not a PDF"):
        upload_check(_upload(content, "a.pdf", "application/pdf"), kinds={"pdf"}, max_bytes=5 * MB)


def test_upload_check_pdf_when_only_images_wanted_refused():
    with pytest.raises(UploadRefused, match="not a JPEG, PNG or WebP image"):
        upload_check(_upload(CLEAN_PDF, "a.pdf"), kinds={"image"}, max_bytes=5 * MB)


def test_upload_check_jpeg_loses_exif_and_gps_and_is_turned_upright():
    # given
    original = JPEG_WITH_GPS
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the GPS is really there
    # when
    checked = upload_check(_upload(original, "me.jpg", "image/jpeg"), kinds={"image"}, max_bytes=5 * MB)
    # then
    image = Image.open(io.BytesIO(checked.content))
    assert image.format == "JPEG"
    assert dict(image.getexif()) == {}
    assert image.getexif().get_ifd(0x8825) == {}
    assert "exif" not in image.info and "comment" not in image.info
    assert b"PhoneMaker" not in checked.content and b"taken at home" not in checked.content
    assert (checked.width, checked.height) == (30, 40)  # orientation applied


def test_upload_check_png_text_chunks_dropped():
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "home address 12 Rue X")
    checked = upload_check(_upload(_image("PNG", pnginfo=info), "a.png"), kinds={"image"}, max_bytes=5 * MB)
    assert b"home address" not in checked.content


def test_upload_check_webp_accepted():
    checked = upload_check(_upload(_image("WEBP"), "a.webp"), kinds={"image"}, max_bytes=5 * MB)
    assert (checked.content_type, checked.extension) == ("image/webp", "webp")


def test_upload_check_gif_refused():
    with pytest.raises(UploadRefused, match="not a JPEG, PNG or WebP image"):
        upload_check(_upload(_image("GIF"), "a.gif"), kinds={"image"}, max_bytes=5 * MB)


def test_upload_check_animated_image_refused():
    out = io.BytesIO()
    frames = [Image.new("RGB", (8, 8), colour) for colour in ("red", "blue")]
    frames[0].save(out, format="PNG", save_all=True, append_images=frames[1:])
    with pytest.raises(UploadRefused, match="Animated"):
        upload_check(_upload(out.getvalue(), "a.png"), kinds={"image"}, max_bytes=5 * MB)


def test_upload_check_huge_pixel_count_refused_before_decoding():
    # A PNG header claiming 10 000 × 10 000 pixels, compressed to almost nothing.
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, format="PNG")
    assert len(out.getvalue()) < MB
    with pytest.raises(UploadRefused, match="too many pixels"):
        upload_check(_upload(out.getvalue(), "bomb.png"), kinds={"image"}, max_bytes=5 * MB)


def test_upload_check_oversize_refused():
    content = CLEAN_PDF.replace(b"%%EOF", b"%" + b"x" * (5 * MB) + b"\n%%EOF")
    with pytest.raises(UploadRefused, match=r"^Larger than 5 MB$"):
        upload_check(_upload(content, "big.pdf"), kinds=BOTH, max_bytes=5 * MB)


def test_upload_check_oversize_file_object_without_size_refused():
    with pytest.raises(UploadRefused, match=r"^Larger than 0\.5 MB$"):
        upload_check(io.BytesIO(_image("PNG", (2000, 2000), compress_level=0)), kinds=BOTH, max_bytes=MB // 2)


def test_upload_check_truncated_image_refused():
    whole = _image("JPEG", (400, 300), quality=95)
    with pytest.raises(UploadRefused):
        upload_check(_upload(whole[: len(whole) // 2], "cut.jpg"), kinds={"image"}, max_bytes=5 * MB)


def test_upload_check_empty_file_refused():
    with pytest.raises(UploadRefused, match="empty"):
        upload_check(_upload(b"", "a.png"), kinds=BOTH, max_bytes=5 * MB)


def test_upload_check_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError, match="subset"):
        upload_check(_upload(CLEAN_PDF), kinds={"pdf", "video"}, max_bytes=MB)


@pytest.mark.parametrize(
    ("name", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\<b>notes.pdf", "bnotes.pdf"),
        ("\x00\u202e.pdf", "pdf"),
        ("", "file"),
    ],
)
def test_upload_check_original_name_made_safe(name, clean):
    checked = upload_check(_upload(CLEAN_PDF, name or "x"), kinds=BOTH, max_bytes=MB)
    if name:
        assert checked.original_name == clean
    assert "<" not in checked.original_name and "/" not in checked.original_name


def _metadata_of(content: bytes) -> list[str]:
    return image_metadata_found(_upload(content, "stored.img"), max_bytes=5 * MB)[0]


def _icc_profile() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def test_image_metadata_found_names_each_kind_that_upload_check_drops():
    # given: stored images as they came, each with one kind of metadata
    from PIL.PngImagePlugin import PngInfo

    text = PngInfo()
    text.add_text("Comment", "home address 12 Rue X")
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
    # when / then
    assert _metadata_of(JPEG_WITH_GPS) == ["APP1", "COM", "comment", "exif"]
    assert _metadata_of(_image("PNG", pnginfo=text)) == ["Comment"]
    assert _metadata_of(_image("PNG", icc_profile=_icc_profile())) == ["icc_profile"]
    assert _metadata_of(_image("WEBP", xmp=xmp)) == ["xmp"]
    assert _metadata_of(_image("JPEG") + b"PK\x03\x04 a file appended") == ["trailing data"]
    assert _metadata_of(_image("PNG") + b"hidden") == ["trailing data"]
    assert _metadata_of(_image("WEBP") + b"hidden") == ["trailing data"]


@pytest.mark.parametrize(
    "content",
    [
        _image("JPEG", dpi=(72, 72), progressive=True),
        _image("PNG", dpi=(300, 300)),
        _image("WEBP"),
        JPEG_WITH_GPS,
    ],
    ids=["jpeg-layout-only", "png-layout-only", "webp", "jpeg-with-gps"],
)
def test_image_metadata_found_nothing_in_a_clean_copy(content):
    # given: the clean copy the upload check makes (for a file with no metadata, the file itself too)
    found, checked = image_metadata_found(_upload(content, "stored.img"), max_bytes=5 * MB)
    # when
    again, _ = image_metadata_found(_upload(checked.content, "clean.img"), max_bytes=5 * MB)
    # then
    assert again == []
    if content != JPEG_WITH_GPS:
        assert found == []


def test_image_metadata_found_unreadable_file_refused():
    with pytest.raises(UploadRefused):
        image_metadata_found(_upload(_image("JPEG")[:200], "cut.jpg"), max_bytes=5 * MB)


def test_private_file_save_stores_under_an_unguessable_key(settings, tmp_path):
    # given
    settings.MEDIA_ROOT = tmp_path
    # when
    first = private_file_save(content=b"one", prefix="privacy/exports", extension="json")
    second = private_file_save(content=b"two", prefix="privacy/exports", extension="json")
    # then
    assert first.startswith("privacy/exports/") and first.endswith(".json") and first != second
    assert len(first.rsplit("/", 1)[1].removesuffix(".json")) == 32
    with storages["default"].open(first) as stored:
        assert stored.read() == b"one"
    with pytest.raises(ValueError):
        private_file_save(content=b"x", prefix="../up", extension="json")
