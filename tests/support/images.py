"""Photos for upload tests: a phone photo carrying what must never be stored (where it was taken, which camera
took it, a comment), and the check that a stored copy kept none of it and was turned upright."""

from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

# What a phone photo carries that must never be stored: where it was taken and which camera took it.
PHOTO_SECRETS = (b"PhoneMaker", b"SN-4471-PRIVATE", b"taken at home")
GPS_IFD, EXIF_IFD = 0x8825, 0x8769
MAKE, ORIENTATION = 0x010F, 0x0112


def photo_with_location(size: tuple[int, int] = (60, 40)) -> bytes:
    """A real phone-style JPEG: EXIF with GPS, maker, body serial and "rotate 90° clockwise" orientation, a comment.

    Its ``size`` (width, height) pixels are stored lying on their side: the top quarter is red and the rest blue, so
    once turned upright (height × width) the red band is on the right.
    """
    width, height = size
    image = Image.new("RGB", (width, height), (0, 0, 255))
    ImageDraw.Draw(image).rectangle((0, 0, width - 1, height // 4 - 1), fill=(255, 0, 0))
    exif = Image.Exif()
    exif[MAKE] = "PhoneMaker"
    exif[ORIENTATION] = 6  # rotate 90° clockwise to show upright
    exif.get_ifd(EXIF_IFD)[0xA431] = "SN-4471-PRIVATE"  # BodySerialNumber
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2], gps[3], gps[4] = "N", (48.0, 51.0, 29.0), "E", (2.0, 17.0, 40.0)
    buffer = BytesIO()
    image.save(buffer, format="JPEG", quality=95, exif=exif.tobytes(), comment=b"taken at home")
    return buffer.getvalue()


def photo_with_location_upload(name: str = "IMG_0042.jpg") -> SimpleUploadedFile:
    """``photo_with_location()`` as a browser uploads it."""
    return SimpleUploadedFile(name, photo_with_location(), content_type="image/jpeg")


def photo_assert_clean_and_upright(data: bytes) -> None:
    """``data`` (a stored copy of ``photo_with_location()``) is a JPEG with no metadata, turned upright."""
    for secret in PHOTO_SECRETS:
        assert secret not in data
    with Image.open(BytesIO(data)) as stored:
        assert stored.format == "JPEG"
        assert dict(stored.getexif()) == {}
        assert stored.getexif().get_ifd(GPS_IFD) == {} and stored.getexif().get_ifd(EXIF_IFD) == {}
        assert "exif" not in stored.info and "comment" not in stored.info and "icc_profile" not in stored.info
        assert stored.size == (40, 60)  # the orientation was applied: width and height swapped
        red, blue = stored.convert("RGB").getpixel((37, 30)), stored.convert("RGB").getpixel((5, 30))
        assert (
            red[0] > 200 and red[2] < 60 and blue[2] > 200 and blue[0] < 60
        )  # turned clockwise, as orientation 6 says
