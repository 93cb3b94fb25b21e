from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone as dj_timezone

from .enums import ApplicationStatus, Role, Theme
from .timezones import timezone_known

# Until the browser reports the user's zone (or they choose one), times are shown in UTC.
DEFAULT_TIMEZONE = "UTC"


def validate_timezone(value: str) -> None:
    if not timezone_known(value):
        raise ValidationError(f"“{value}” is not a known time zone.")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> "User":
        extra.setdefault("role", Role.CLIENT)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> "User":
        extra.update(role=Role.ADMIN, is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """One user, one role. ``is_staff`` mirrors ``role == admin`` (kept in step by ``user_set_role``)."""

    email = models.EmailField(unique=True)
    display_name = models.CharField(max_length=60, blank=True)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.CLIENT, db_index=True)
    avatar = models.ImageField(upload_to="avatars/%Y/%m/", blank=True)
    timezone = models.CharField(max_length=64, default=DEFAULT_TIMEZONE, validators=[validate_timezone])
    # Whether the zone was set on purpose (account settings) or once from the browser: a browser's guess is only
    # taken while this is False, so it never replaces the user's own choice.
    timezone_chosen = models.BooleanField(default=False)
    theme = models.CharField(max_length=10, choices=Theme.choices, default=Theme.DARK)
    notify_email_messages = models.BooleanField("Email me about new messages", default=True)
    notify_email_readings = models.BooleanField("Email me about readings and bookings", default=True)
    notify_email_account = models.BooleanField("Email me about my account and wallet", default=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=dj_timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="user_role_valid"),
        ]

    @property
    def takes_browser_timezone(self) -> bool:
        """Whether the browser's zone may still replace the account's: nobody chose one and it is the default."""
        return not self.timezone_chosen and self.timezone == DEFAULT_TIMEZONE

    def __str__(self) -> str:
        return self.public_name

    @property
    def public_name(self) -> str:
        return self.display_name or self.email.split("@")[0]

    @property
    def is_client(self) -> bool:
        return self.role == Role.CLIENT

    @property
    def is_reader(self) -> bool:
        return self.role == Role.READER

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class ReaderApplication(models.Model):
    """A client's request to become a reader, reviewed by an admin."""

    applicant = models.ForeignKey(User, on_delete=models.CASCADE, related_name="reader_applications")
    bio = models.TextField(max_length=4000)
    specialties = models.CharField(max_length=300, help_text="Comma-separated, e.g. tarot, mediumship")
    tools = models.CharField(max_length=300, blank=True, help_text="Comma-separated, e.g. Rider–Waite deck")
    years_experience = models.PositiveSmallIntegerField()
    photo = models.ImageField(upload_to="reader-applications/%Y/%m/")
    status = models.CharField(
        max_length=10, choices=ApplicationStatus.choices, default=ApplicationStatus.PENDING, db_index=True
    )
    decision_reason = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # At most one open application per user, enforced by the database.
            models.UniqueConstraint(
                fields=["applicant"],
                condition=models.Q(status="pending"),
                name="one_pending_reader_application_per_user",
            ),
            models.CheckConstraint(condition=models.Q(years_experience__lte=80), name="years_experience_sane"),
        ]

    def __str__(self) -> str:
        return f"Reader application #{self.pk} ({self.get_status_display()})"
