import os
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage, storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.test import override_settings
from PIL import Image

from apps.accounts.enums import ApplicationStatus
from apps.accounts.models import ReaderApplication
from apps.accounts.tests.factories import AdminFactory, ReaderFactory, UserFactory, image_upload
from apps.core.exceptions import IntegrationNotConfigured, PermissionDeniedError
from apps.core.models import AuditLog
from apps.readers.exceptions import ReaderProfileIncomplete, ReaderProfileInvalid
from apps.readers.models import ReaderProfile
from apps.readers.selectors import reader_listed_list
from apps.readers.services import (
    reader_profile_get_or_create,
    reader_profile_publish,
    reader_profile_suspend,
    reader_profile_update,
)
from tests.support.images import photo_with_location

from .factories import ReaderProfileFactory, SpecialtyFactory, ToolFactory

pytestmark = pytest.mark.django_db


def test_reader_profile_get_or_create_from_approved_application_copies_bio_photo_and_known_terms():
    # given
    reader = ReaderFactory(display_name="Mira")
    tarot = SpecialtyFactory(name="Tarot")
    SpecialtyFactory(name="Astrology")
    deck = ToolFactory(name="Rider–Waite deck")
    default_storage.save("reader-applications/2026/11/mira.png", image_upload("mira.png", size=(400, 500)))
    ReaderApplication.objects.create(
        applicant=reader,
        bio="Thirty years of tarot.",
        specialties="tarot, crystal healing",
        tools="Rider–Waite deck",
        years_experience=30,
        photo="reader-applications/2026/11/mira.png",
        status=ApplicationStatus.APPROVED,
    )
    # when
    profile = reader_profile_get_or_create(user=reader)
    # then
    assert profile.display_name == "Mira"
    assert profile.bio == "Thirty years of tarot."
    assert profile.years_experience == 30
    # the private application photo is copied into the public storage, with thumbnails
    assert profile.photo.name.startswith("readers/") and storages["public"].exists(profile.photo.name)
    assert profile.photo_small and profile.photo_large
    assert list(profile.specialties.all()) == [tarot]
    assert list(profile.tools.all()) == [deck]
    assert not profile.is_published
    assert reader_profile_get_or_create(user=reader).pk == profile.pk


def test_reader_profile_get_or_create_client_refused():
    # given
    client = UserFactory()
    # when / then
    with pytest.raises(PermissionDeniedError):
        reader_profile_get_or_create(user=client)
    assert not ReaderProfile.objects.exists()


def test_reader_profile_update_valid_rates_saved_and_audited():
    # given
    profile = ReaderProfileFactory()
    # when
    updated = reader_profile_update(
        actor=profile.user,
        data={"text_rate_amount": Decimal("3.99"), "scheduled_rate_amount": Decimal("2.50"), "headline": "New"},
    )
    # then
    updated.refresh_from_db()
    assert updated.text_rate_amount == Decimal("3.99")
    assert updated.lowest_rate_amount == Decimal("3.99")
    assert updated.scheduled_rate_amount == Decimal("2.50")
    assert updated.paid_reply_amount == Decimal("1.00")
    log = AuditLog.objects.get(action="readers.rates_changed")
    assert log.details["before"]["text_rate_amount"] == "2.00"
    assert log.details["after"]["text_rate_amount"] == "3.99"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("text_rate_amount", Decimal("0.49")),
        ("text_rate_amount", Decimal("50.01")),
        ("scheduled_rate_amount", Decimal("0.10")),
        ("paid_reply_amount", Decimal("0.25")),
        ("paid_reply_amount", Decimal("100.01")),
        ("text_rate_amount", Decimal("1.234")),
    ],
)
def test_reader_profile_update_rate_out_of_bounds_refused_and_nothing_changes(field, value):
    # given
    profile = ReaderProfileFactory()
    # when
    with pytest.raises(ReaderProfileInvalid):
        reader_profile_update(actor=profile.user, data={field: value, "headline": "Changed"})
    # then
    profile.refresh_from_db()
    assert profile.headline == "Clear, kind guidance"
    assert profile.text_rate_amount == Decimal("2.00")
    assert not AuditLog.objects.filter(action="readers.rates_changed").exists()


def test_reader_profile_rate_bounds_enforced_by_database():
    # given
    profile = ReaderProfileFactory()
    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        ReaderProfile.objects.filter(pk=profile.pk).update(text_rate_amount=Decimal("99.00"))


def test_reader_profile_update_voice_rate_without_agora_refused():
    # given
    profile = ReaderProfileFactory()
    # when / then
    with pytest.raises(IntegrationNotConfigured):
        reader_profile_update(actor=profile.user, data={"voice_rate_amount": Decimal("3.00")})
    profile.refresh_from_db()
    assert profile.voice_rate_amount is None


@override_settings(AGORA_APP_ID="a" * 32, AGORA_APP_CERTIFICATE="b" * 32)
def test_reader_profile_update_voice_rate_with_agora_lowers_lowest_rate():
    # given
    profile = ReaderProfileFactory()
    # when
    reader_profile_update(actor=profile.user, data={"voice_rate_amount": Decimal("1.50")})
    # then
    profile.refresh_from_db()
    assert profile.lowest_rate_amount == Decimal("1.50")


def test_reader_profile_update_published_profile_emptied_refused():
    # given
    profile = ReaderProfileFactory()
    # when / then
    with pytest.raises(ReaderProfileIncomplete):
        reader_profile_update(actor=profile.user, data={"bio": ""})
    profile.refresh_from_db()
    assert profile.bio


def test_reader_profile_update_new_photo_stored_with_square_thumbnails(django_capture_on_commit_callbacks):
    # given: a profile with a photo, replaced by a landscape one
    profile = ReaderProfileFactory()
    old_names = [profile.photo.name]
    # when
    with django_capture_on_commit_callbacks(execute=True):
        reader_profile_update(
            actor=profile.user, data={}, photo=image_upload("me.jpg", image_format="JPEG", size=(900, 600))
        )
    # then
    profile.refresh_from_db()
    assert profile.photo.name.startswith("readers/") and storages["public"].exists(profile.photo.name)
    for field, size in (("photo_small", 144), ("photo_large", 320)):
        with Image.open(getattr(profile, field).open("rb")) as thumb:
            assert (thumb.format, thumb.size) == ("WEBP", (size, size))
    assert profile.photo_small_url == storages["public"].url(profile.photo_small.name)
    assert not storages["public"].exists(old_names[0])


def test_reader_profile_update_photo_with_gps_stored_without_its_metadata():
    # given: a phone JPEG carrying a camera location (EXIF GPS) and a comment, named as a PNG
    photo = photo_with_location(size=(300, 400))  # lying on its side: 400×300 once upright
    upload = SimpleUploadedFile("holiday.png", photo, "image/png")
    profile = ReaderProfileFactory()
    # when
    reader_profile_update(actor=profile.user, data={}, photo=upload)
    # then: the public copy is a fresh JPEG with no EXIF and no comment, under the name of what it really is
    profile.refresh_from_db()
    assert profile.photo.name.endswith(".jpg")
    with Image.open(profile.photo.open("rb")) as stored:
        assert stored.format == "JPEG" and stored.size == (400, 300)
        assert not stored.getexif() and "exif" not in stored.info and "comment" not in stored.info


def test_reader_profile_update_refused_change_keeps_no_uploaded_files():
    # given: a published profile; the edit would leave it without a rate
    profile = ReaderProfileFactory()
    folder = os.path.dirname(storages["public"].path(profile.photo.name))
    files_before = set(os.listdir(folder))
    # when / then
    with pytest.raises(ReaderProfileIncomplete):
        reader_profile_update(actor=profile.user, data={"text_rate_amount": None}, photo=image_upload("new.png"))
    assert set(os.listdir(folder)) == files_before
    profile.refresh_from_db()
    assert profile.text_rate_amount is not None


def test_reader_profile_update_unreadable_photo_refused():
    # given
    profile = ReaderProfileFactory()
    before = profile.photo.name
    broken = SimpleUploadedFile("me.png", b"\x89PNG\r\n\x1a\nnot really a picture", "image/png")
    # when / then
    with pytest.raises(ReaderProfileInvalid, match="could not be read"):
        reader_profile_update(actor=profile.user, data={}, photo=broken)
    profile.refresh_from_db()
    assert profile.photo.name == before


def test_reader_profile_publish_incomplete_refused_with_what_is_missing():
    # given
    reader = ReaderFactory()
    reader_profile_get_or_create(user=reader)
    # when
    with pytest.raises(ReaderProfileIncomplete) as error:
        reader_profile_publish(actor=reader, publish=True)
    # then
    assert "a headline" in error.value.message and "a photo" in error.value.message
    assert not ReaderProfile.objects.get(user=reader).is_published


def test_reader_profile_publish_complete_profile_listed():
    # given
    profile = ReaderProfileFactory(is_published=False)
    assert not reader_listed_list().exists()
    # when
    reader_profile_publish(actor=profile.user, publish=True)
    # then
    assert list(reader_listed_list()) == [profile]


def test_reader_profile_suspend_by_admin_unlists_and_audits():
    # given
    profile = ReaderProfileFactory()
    admin = AdminFactory()
    # when
    reader_profile_suspend(actor=admin, reader_id=profile.pk, suspend=True, reason="Complaints under review")
    # then
    assert not reader_listed_list().exists()
    assert AuditLog.objects.filter(action="readers.suspended", actor=admin, target_id=str(profile.pk)).exists()


def test_reader_profile_suspend_by_non_admin_refused():
    # given
    profile = ReaderProfileFactory()
    # when / then
    with pytest.raises(PermissionDeniedError):
        reader_profile_suspend(actor=profile.user, reader_id=profile.pk, suspend=True, reason="x")
    profile.refresh_from_db()
    assert not profile.is_suspended


def test_reader_application_approve_creates_unpublished_reader_profile_from_application():
    # given
    from apps.accounts.services import reader_application_approve

    applicant = UserFactory(display_name="Mira")
    SpecialtyFactory(name="Tarot")
    application = ReaderApplication.objects.create(
        applicant=applicant,
        bio="Cards since childhood.",
        specialties="Tarot",
        years_experience=12,
        photo="reader-applications/2026/11/mira.png",
    )
    # when
    reader_application_approve(actor=AdminFactory(), application_id=application.pk)
    # then
    profile = ReaderProfile.objects.get(user=applicant)
    assert profile.bio == "Cards since childhood." and profile.years_experience == 12
    assert [s.name for s in profile.specialties.all()] == ["Tarot"]
    assert not profile.is_published
