import factory
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password

from apps.accounts.enums import Role
from apps.accounts.models import User

DEFAULT_PASSWORD = "a-long-test-passphrase-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    display_name = factory.Sequence(lambda n: f"User {n}")
    role = Role.CLIENT
    # Hashed before the INSERT (``UserFactory(password="...")`` is hashed too): setting it after creation saved
    # every user a second time.
    password = factory.Transformer(DEFAULT_PASSWORD, transform=make_password)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        # Users are verified unless a test says verified=False: most flows need a verified address.
        if create:
            EmailAddress.objects.create(user=self, email=self.email, primary=True, verified=extracted is not False)


class ReaderFactory(UserFactory):
    role = Role.READER


class AdminFactory(UserFactory):
    role = Role.ADMIN
    is_staff = True
    is_superuser = True


def give_totp(user: User) -> None:
    """Activate a real TOTP authenticator for ``user`` (admins need one to use admin pages)."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(user, generate_totp_secret())


def image_upload(name: str = "photo.png", *, image_format: str = "PNG", size: tuple[int, int] = (16, 16)):
    """A small real image file, as a browser would upload it."""
    from io import BytesIO

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", size, (255, 105, 180)).save(buffer, format=image_format)
    content_type = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}[image_format]
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=content_type)


# What a phone photo carries that must never be stored: where it was taken and which camera took it.
PHOTO_SECRETS = (b"PhoneMaker", b"SN-4471-PRIVATE", b"taken at home")
GPS_IFD, EXIF_IFD = 0x8825, 0x8769


def photo_with_location_upload(name: str = "IMG_0042.jpg"):
    """A real phone-style JPEG: EXIF with GPS, maker, body serial and "rotate 90° clockwise" orientation, a comment.

    The 60×40 pixels are stored lying on their side: the top quarter is red and the rest blue, so once turned
    upright (40×60) the red band is on the right.
    """
    from io import BytesIO

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image, ImageDraw

    width, height = 60, 40
    image = Image.new("RGB", (width, height), (0, 0, 255))
    ImageDraw.Draw(image).rectangle((0, 0, width - 1, height // 4 - 1), fill=(255, 0, 0))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to show upright
    exif.get_ifd(EXIF_IFD)[0xA431] = "SN-4471-PRIVATE"  # BodySerialNumber
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2], gps[3], gps[4] = "N", (48.0, 51.0, 29.0), "E", (2.0, 17.0, 40.0)
    buffer = BytesIO()
    image.save(buffer, format="JPEG", quality=95, exif=exif.tobytes(), comment=b"taken at home")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def photo_assert_clean_and_upright(data: bytes) -> None:
    """``data`` (a stored copy of ``photo_with_location_upload()``) is a JPEG with no metadata, turned upright."""
    from io import BytesIO

    from PIL import Image

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


def reader_application_create(applicant: User, **overrides):
    """A pending application written straight to the database (for tests of the review side)."""
    from apps.accounts.models import ReaderApplication

    values = {
        "bio": "I have read tarot for my community for many years, with care and honesty.",
        "specialties": "tarot, mediumship",
        "tools": "Rider–Waite deck",
        "years_experience": 7,
        "photo": image_upload(),
    }
    values.update(overrides)
    return ReaderApplication.objects.create(applicant=applicant, **values)
