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
