from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.files.storage import Storage, storages
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from .constants import (
    PAID_REPLY_DEFAULT_AMOUNT,
    PAID_REPLY_MAX_AMOUNT,
    PAID_REPLY_MIN_AMOUNT,
    RATE_MAX_AMOUNT,
    RATE_MIN_AMOUNT,
)
from .enums import Presence

RATE_VALIDATORS = [MinValueValidator(RATE_MIN_AMOUNT), MaxValueValidator(RATE_MAX_AMOUNT)]


def public_storage() -> Storage:
    """Reader photos are public: every visitor of the directory sees them (settings.STORAGES["public"])."""
    return storages["public"]


class Taxonomy(models.Model):
    """A term readers pick from, managed by admins on the staff taxonomy pages (audited).

    A retired term is no longer offered to readers or in the directory filters, but stays on the profiles
    that already use it. The slug never changes after creation, so directory links keep working after a rename.
    """

    name = models.CharField(max_length=60, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    position = models.PositiveIntegerField(default=0)
    is_retired = models.BooleanField(default=False)

    class Meta:
        abstract = True
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Specialty(Taxonomy):
    class Meta(Taxonomy.Meta):
        verbose_name_plural = "specialties"


class Tool(Taxonomy):
    pass


class Language(Taxonomy):
    pass


def _rate_in_bounds(field: str) -> Q:
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": RATE_MIN_AMOUNT, f"{field}__lte": RATE_MAX_AMOUNT})


class ReaderProfile(models.Model):
    """A reader's public profile, rates and presence.

    Listed in the directory only when the reader published it, it is complete, the user is an active reader
    and no admin suspended it (see ``selectors.reader_listed_q``). A rate of NULL means "not offered".
    Sessions copy the rate when they start, so changing a rate never touches a started session.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reader_profile")
    display_name = models.CharField(max_length=60)
    headline = models.CharField(max_length=120, blank=True)
    bio = models.TextField(max_length=4000, blank=True)
    years_experience = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(80)])
    photo = models.ImageField(upload_to="readers/%Y/%m/", storage=public_storage, blank=True)
    # Square thumbnails made from the photo when it is uploaded (see ``photos.py``): pages never send the original.
    photo_small = models.ImageField(upload_to="readers/%Y/%m/", storage=public_storage, blank=True, editable=False)
    photo_large = models.ImageField(upload_to="readers/%Y/%m/", storage=public_storage, blank=True, editable=False)
    specialties = models.ManyToManyField(Specialty, blank=True, related_name="readers")
    tools = models.ManyToManyField(Tool, blank=True, related_name="readers")
    languages = models.ManyToManyField(Language, blank=True, related_name="readers")

    text_rate_amount = models.DecimalField(
        "chat rate per minute", max_digits=12, decimal_places=2, null=True, blank=True, validators=RATE_VALIDATORS
    )
    voice_rate_amount = models.DecimalField(
        "voice rate per minute", max_digits=12, decimal_places=2, null=True, blank=True, validators=RATE_VALIDATORS
    )
    video_rate_amount = models.DecimalField(
        "video rate per minute", max_digits=12, decimal_places=2, null=True, blank=True, validators=RATE_VALIDATORS
    )
    scheduled_rate_amount = models.DecimalField(
        "scheduled reading rate per minute",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=RATE_VALIDATORS,
    )
    paid_reply_amount = models.DecimalField(
        "price of a paid reply",
        max_digits=12,
        decimal_places=2,
        default=PAID_REPLY_DEFAULT_AMOUNT,
        validators=[MinValueValidator(PAID_REPLY_MIN_AMOUNT), MaxValueValidator(PAID_REPLY_MAX_AMOUNT)],
    )
    # Lowest offered on-demand rate (any modality); kept by the profile service for price sort and filter.
    lowest_rate_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True, editable=False)

    is_published = models.BooleanField(default=False)
    is_suspended = models.BooleanField(default=False)
    suspension_reason = models.TextField(blank=True)

    # Written by the sessions feature, which keeps them in step with reviews.
    rating_average = models.DecimalField(max_digits=3, decimal_places=2, default=Decimal("0.00"))
    rating_count = models.PositiveIntegerField(default=0)

    presence = models.CharField(max_length=10, choices=Presence.choices, default=Presence.OFFLINE)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    # Full-text document (PostgreSQL only); rebuilt by services whenever its sources change.
    search_vector = SearchVectorField(null=True, editable=False)

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=_rate_in_bounds("text_rate_amount"), name="reader_text_rate_bounds"),
            models.CheckConstraint(condition=_rate_in_bounds("voice_rate_amount"), name="reader_voice_rate_bounds"),
            models.CheckConstraint(condition=_rate_in_bounds("video_rate_amount"), name="reader_video_rate_bounds"),
            models.CheckConstraint(
                condition=_rate_in_bounds("scheduled_rate_amount"), name="reader_scheduled_rate_bounds"
            ),
            models.CheckConstraint(
                condition=Q(paid_reply_amount__gte=PAID_REPLY_MIN_AMOUNT, paid_reply_amount__lte=PAID_REPLY_MAX_AMOUNT),
                name="reader_paid_reply_bounds",
            ),
            models.CheckConstraint(
                condition=Q(rating_average__gte=0, rating_average__lte=5), name="reader_rating_average_range"
            ),
            models.CheckConstraint(condition=Q(presence__in=Presence.values), name="reader_presence_valid"),
        ]
        indexes = [
            models.Index(fields=["-rating_average", "-rating_count"], name="reader_rating_idx"),
            models.Index(fields=["lowest_rate_amount"], name="reader_lowest_rate_idx"),
            models.Index(fields=["presence", "last_seen_at"], name="reader_presence_idx"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def photo_small_url(self) -> str:
        """For cards and lists (shown at up to 72 px)."""
        return (self.photo_small or self.photo).url if self.photo else ""

    @property
    def photo_large_url(self) -> str:
        """For the profile page and the editor (shown at up to 160 px)."""
        return (self.photo_large or self.photo).url if self.photo else ""


class Favorite(models.Model):
    """A user keeps a reader at hand on their dashboard."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favorite_readers")
    reader = models.ForeignKey(ReaderProfile, on_delete=models.CASCADE, related_name="favorited_by")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "reader"], name="favorite_once_per_reader")]

    def __str__(self) -> str:
        return f"{self.user_id} likes {self.reader_id}"


class OnlineAlert(models.Model):
    """A user asked to hear (in-app and by email) when ``reader`` comes online."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reader_online_alerts")
    reader = models.ForeignKey(ReaderProfile, on_delete=models.CASCADE, related_name="online_alerts")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "reader"], name="online_alert_once_per_reader")]

    def __str__(self) -> str:
        return f"{self.user_id} waits for {self.reader_id}"


class OnlineAlertDelivery(models.Model):
    """One row per (user, reader, UTC day) an alert went out: the key that limits alerts to one a day."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reader = models.ForeignKey(ReaderProfile, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "reader", "day"], name="online_alert_once_a_day"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} alerted about {self.reader_id} on {self.day}"
