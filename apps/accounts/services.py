"""Write services for accounts: roles, profile settings, reader applications."""

from functools import partial
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone as dj_timezone

from apps.core.exceptions import InvalidStateError, PermissionDeniedError
from apps.core.outbox import outbox_enqueue
from apps.core.permissions import has_verified_email
from apps.core.services import audit_log_record

from .enums import ApplicationStatus, Role, Theme
from .exceptions import InvalidInputError
from .locks import reader_application_lock, user_lock
from .models import DEFAULT_TIMEZONE, ReaderApplication, User
from .timezones import timezone_known
from .validators import image_upload_prepare


@transaction.atomic(durable=True)
def admin_ensure(*, email: str, password: str) -> tuple[User, bool]:
    """Create the first admin with a verified email address, unless that user exists already."""
    from allauth.account.models import EmailAddress

    email = email.strip().lower()
    existing = User.objects.filter(email=email).first()
    if existing is not None:
        return existing, False
    validate_password(password)
    user = User.objects.create_superuser(email=email, password=password)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    audit_log_record(actor=None, action="accounts.admin_created", target=user, details={"source": "ensure_admin"})
    return user, True


def _apply_role(user: User, role: str) -> None:
    """Set role and the flags that follow from it. Caller holds the transaction and the user row lock."""
    user.role = role
    user.is_staff = role == Role.ADMIN
    # Admin is the one privileged role; a demoted admin keeps no leftover Django superuser rights.
    user.is_superuser = role == Role.ADMIN
    user.save(update_fields=["role", "is_staff", "is_superuser"])


def _validation_message(error: ValidationError) -> str:
    return " ".join(error.messages)


def _require_admin(actor: Any) -> None:
    if not (getattr(actor, "is_authenticated", False) and actor.is_active and actor.is_staff):
        raise PermissionDeniedError("Only admins can do that.")


def _storage_delete(storage: Any, name: str) -> None:
    storage.delete(name)


# --- Profile ------------------------------------------------------------------------------------

PROFILE_FIELDS = (
    "display_name",
    "timezone",
    "theme",
    "notify_email_messages",
    "notify_email_readings",
    "notify_email_account",
)


@transaction.atomic(durable=True)
def user_update_profile(
    *,
    user: User,
    display_name: str,
    timezone: str,
    theme: str,
    notify_email_messages: bool,
    notify_email_readings: bool,
    notify_email_account: bool,
    avatar: UploadedFile | None = None,
    remove_avatar: bool = False,
) -> User:
    """Save the user's own profile settings. A bad avatar or value raises and changes nothing.

    A new avatar is stored re-encoded, upright and without its metadata (no EXIF, GPS or camera details).
    """
    avatar_file = None
    if avatar is not None:
        try:
            avatar_file = image_upload_prepare(avatar)
        except ValidationError as error:
            raise InvalidInputError(_validation_message(error))
    user = user_lock(user_id=user.pk)
    user.display_name = display_name.strip()
    user.timezone = timezone
    user.timezone_chosen = True
    user.theme = theme
    user.notify_email_messages = notify_email_messages
    user.notify_email_readings = notify_email_readings
    user.notify_email_account = notify_email_account
    old_avatar = user.avatar.name if user.avatar else ""
    if avatar_file is not None:
        user.avatar = avatar_file
    elif remove_avatar:
        user.avatar = ""
    try:
        user.full_clean(exclude=["password", "email", "avatar"], validate_unique=False)
    except ValidationError as error:
        raise InvalidInputError(_validation_message(error))
    user.save(update_fields=[*PROFILE_FIELDS, "timezone_chosen", "avatar"])
    if old_avatar and old_avatar != (user.avatar.name if user.avatar else ""):
        # The old file goes only once the new state is committed.
        transaction.on_commit(partial(_storage_delete, user.avatar.storage, old_avatar))
    return user


# --- Roles --------------------------------------------------------------------------------------


def _role_change(*, actor: Any, user: User, role: str, reason: str, request: HttpRequest | None) -> User:
    """Change ``user``'s role and audit it. Caller holds the transaction and the lock on ``user``.

    A new reader gets their reader profile (unpublished) in the same transaction, whether an application was
    approved or an admin promoted them: the reader's pages read it and never create it on a GET."""
    previous = user.role
    _apply_role(user, role)
    if role == Role.READER:
        from apps.readers.services import reader_profile_get_or_create

        reader_profile_get_or_create(user=user)
    audit_log_record(
        actor=actor,
        action="accounts.role_changed",
        target=user,
        details={"from": previous, "to": role, "reason": reason},
        request=request,
    )
    return user


@transaction.atomic(durable=True)
def user_set_role(*, actor: User, user_id: int, role: str, reason: str, request: HttpRequest | None = None) -> User:
    """An admin promotes or demotes a user. A reason is required; admins cannot demote themselves."""
    _require_admin(actor)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInputError("Please give a reason for the role change.")
    if role not in Role.values:
        raise InvalidInputError("Unknown role.")
    if actor.pk == user_id and role != Role.ADMIN:
        raise PermissionDeniedError("You cannot remove your own admin role. Ask another admin to do it.")
    user = user_lock(user_id=user_id)
    if user.role == role:
        raise InvalidStateError(f"{user.email} is already a {user.get_role_display().lower()}.")
    return _role_change(actor=actor, user=user, role=role, reason=reason, request=request)


# --- Reader applications ----------------------------------------------------------------------------


@transaction.atomic(durable=True)
def reader_application_submit(
    *,
    applicant: User,
    bio: str,
    specialties: str,
    tools: str,
    years_experience: int,
    photo: UploadedFile,
    request: HttpRequest | None = None,
) -> ReaderApplication:
    """A verified client applies to become a reader. One pending application per user.

    The photo is stored re-encoded, upright and without its metadata (no EXIF, GPS or camera details).
    """
    try:
        photo_file = image_upload_prepare(photo)
    except ValidationError as error:
        raise InvalidInputError(_validation_message(error))
    # Locking the applicant serialises two submissions from the same person (double click, two tabs).
    applicant = user_lock(user_id=applicant.pk)
    if applicant.role != Role.CLIENT:
        raise InvalidStateError("Only clients can apply to become a reader.")
    if not has_verified_email(applicant):
        raise PermissionDeniedError("Please verify your email address before applying.")
    if ReaderApplication.objects.filter(applicant=applicant, status=ApplicationStatus.PENDING).exists():
        raise InvalidStateError("You already have an application waiting for review.")
    application = ReaderApplication(
        applicant=applicant,
        bio=bio.strip(),
        specialties=specialties.strip(),
        tools=tools.strip(),
        years_experience=years_experience,
        photo=photo_file,
    )
    try:
        application.full_clean(exclude=["photo"])
    except ValidationError as error:
        raise InvalidInputError(_validation_message(error))
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError:
        raise InvalidStateError("You already have an application waiting for review.")
    audit_log_record(
        actor=applicant, action="accounts.reader_application_submitted", target=application, request=request
    )
    return application


def _reader_application_decide_locked(*, actor: User, application_id: int) -> ReaderApplication:
    """Lock a pending application for a decision. Caller holds the transaction."""
    _require_admin(actor)
    application = reader_application_lock(application_id=application_id)
    if application.status != ApplicationStatus.PENDING:
        raise InvalidStateError(f"This application was already {application.get_status_display().lower()}.")
    return application


def _decision_email_enqueue(application_id: int) -> None:
    """The decision email, as an outbox message committed with the decision. Caller holds the transaction."""
    from .emails import DECISION_EMAIL

    outbox_enqueue(
        name=DECISION_EMAIL,
        kwargs={"application_id": application_id},
        dedupe_key=f"reader-application-decision:{application_id}",
    )


@transaction.atomic(durable=True)
def reader_application_approve(
    *, actor: User, application_id: int, request: HttpRequest | None = None
) -> ReaderApplication:
    """Approve a pending application: the applicant becomes a reader and is emailed once committed."""
    application = _reader_application_decide_locked(actor=actor, application_id=application_id)
    applicant = user_lock(user_id=application.applicant_id)
    if applicant.role != Role.CLIENT:
        raise InvalidStateError(
            f"The applicant is now a {applicant.get_role_display().lower()}, not a client; reject this application."
        )
    application.status = ApplicationStatus.APPROVED
    application.reviewed_by = actor
    application.reviewed_at = dj_timezone.now()
    application.decision_reason = ""
    application.save(update_fields=["status", "reviewed_by", "reviewed_at", "decision_reason"])
    _role_change(
        actor=actor,
        user=applicant,
        role=str(Role.READER),
        reason=f"Reader application #{application.pk} approved",
        request=request,
    )
    # The new reader's profile was made by _role_change, from this approved application; further onboarding steps
    # for the new reader belong here, in this transaction.
    audit_log_record(
        actor=actor,
        action="accounts.reader_application_approved",
        target=application,
        details={"applicant_id": applicant.pk},
        request=request,
    )
    _decision_email_enqueue(application.pk)
    return application


@transaction.atomic(durable=True)
def reader_application_reject(
    *, actor: User, application_id: int, reason: str, request: HttpRequest | None = None
) -> ReaderApplication:
    """Reject a pending application with a reason the applicant will read. They may apply again."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInputError("Please give the applicant a reason for the rejection.")
    application = _reader_application_decide_locked(actor=actor, application_id=application_id)
    application.status = ApplicationStatus.REJECTED
    application.reviewed_by = actor
    application.reviewed_at = dj_timezone.now()
    application.decision_reason = reason
    application.save(update_fields=["status", "reviewed_by", "reviewed_at", "decision_reason"])
    audit_log_record(
        actor=actor,
        action="accounts.reader_application_rejected",
        target=application,
        details={"applicant_id": application.applicant_id, "reason": reason},
        request=request,
    )
    _decision_email_enqueue(application.pk)
    return application


# --- Theme --------------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def user_timezone_detected(*, user: User, timezone: str) -> bool:
    """Take the zone the browser reports, once, while the account still has the default zone (UTC) and nobody
    chose one. Returns whether it was taken. A zone other than the default was set on purpose (in the settings,
    by an admin or an import) and is never replaced.

    A conditional UPDATE, so a settings save racing it wins: whichever sets ``timezone_chosen`` first."""
    if not timezone_known(timezone):
        raise InvalidInputError("That is not a known time zone.")
    taken = User.objects.filter(pk=user.pk, timezone_chosen=False, timezone=DEFAULT_TIMEZONE).update(
        timezone=timezone, timezone_chosen=True
    )
    if taken:
        user.timezone, user.timezone_chosen = timezone, True
    return bool(taken)


def user_set_theme(*, user: User, theme: str) -> User:
    """Store the colour theme the user picked. An unknown value raises and changes nothing."""
    if theme not in Theme.values:
        raise InvalidInputError("Choose a theme: match my device, dark or light.")
    User.objects.filter(pk=user.pk).update(theme=theme)
    user.theme = theme
    return user
