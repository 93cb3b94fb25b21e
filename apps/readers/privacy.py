"""Personal data of readers: the public profile and its photos, favourites and online alerts (see
``apps/core/privacy.py``). A deleted reader's profile leaves the directory and keeps no name, text or photo; its
row stays for the ratings of the reviews it received."""

from typing import Any

from apps.core.privacy import FileRef, PersonalData, personal_data_register
from apps.core.stored_images import StoredImageField, stored_image_register
from apps.notifications.services import notification_texts_remove

from .cache import reader_directory_changed
from .models import Favorite, OnlineAlert, OnlineAlertDelivery, ReaderProfile

PROFILE_FIELDS = (
    "display_name",
    "headline",
    "bio",
    "years_experience",
    "text_rate_amount",
    "voice_rate_amount",
    "video_rate_amount",
    "scheduled_rate_amount",
    "paid_reply_amount",
    "is_published",
    "rating_average",
    "rating_count",
    "created_at",
)


def _export(user: Any) -> dict[str, Any]:
    profile = ReaderProfile.objects.filter(user=user).values(*PROFILE_FIELDS, "pk").first()
    if profile is not None:
        reader = ReaderProfile.objects.get(pk=profile.pop("pk"))
        profile["specialties"] = list(reader.specialties.values_list("name", flat=True))
        profile["tools"] = list(reader.tools.values_list("name", flat=True))
        profile["languages"] = list(reader.languages.values_list("name", flat=True))
    return {
        "reader_profile": profile,
        "favorite_readers": list(
            Favorite.objects.filter(user=user).order_by("pk").values("reader__display_name", "created_at")
        ),
        "online_alerts": list(
            OnlineAlert.objects.filter(user=user).order_by("pk").values("reader__display_name", "created_at")
        ),
    }


def _files(user: Any) -> list[FileRef]:
    profile = ReaderProfile.objects.filter(user=user).first()
    if profile is None:
        return []
    return [
        ("public", field.name, f"reader-photos/{field.name.rsplit('/', 1)[-1]}")
        for field in (profile.photo, profile.photo_small, profile.photo_large)
        if field
    ]


def _erase(user: Any) -> None:
    Favorite.objects.filter(user=user).delete()
    OnlineAlert.objects.filter(user=user).delete()
    OnlineAlertDelivery.objects.filter(user=user).delete()
    profile = ReaderProfile.objects.filter(user=user)
    # Online alerts to followers quoted the headline.
    notification_texts_remove(texts=profile.values_list("headline", flat=True), replacement="")
    if profile.update(
        display_name="Former reader",
        headline="",
        bio="",
        photo="",
        photo_small="",
        photo_large="",
        is_published=False,
        search_vector=None,
    ):
        for reader in profile:
            reader.specialties.clear()
            reader.tools.clear()
            reader.languages.clear()
        reader_directory_changed()


personal_data_register(
    PersonalData(
        key="readers.profile",
        export=_export,
        files=_files,
        erase=_erase,
        models=("readers.ReaderProfile", "readers.Favorite", "readers.OnlineAlert", "readers.OnlineAlertDelivery"),
    )
)

# The kept photo may predate re-encoded uploads. Its thumbnails never carried metadata: Pillow's WebP writer
# embeds EXIF, ICC or XMP only when ``save`` is given them, and ``photos.thumbnail_bytes`` gives none.
stored_image_register(
    StoredImageField(
        key="readers.photos", model="readers.ReaderProfile", field="photo", derived=("photo_small", "photo_large")
    )
)
