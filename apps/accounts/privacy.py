"""Personal data of accounts: the profile, sign-in email addresses, two-factor methods, sign-in sessions and
reader applications (see ``apps/core/privacy.py``). The user row itself stays, anonymised, so that the ledger, the
audit log and the other party of every reading keep a reference; nobody can sign in to it again."""

from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.utils import timezone

from apps.core.privacy import FileRef, PersonalData, personal_data_register
from apps.core.stored_images import StoredImageField, stored_image_register

from .models import ReaderApplication, User

REMOVED = "[Removed when the account was deleted.]"


def anonymised_email(user_id: int) -> str:
    """The address a deleted account keeps: unique, never deliverable (.invalid is reserved, RFC 2606)."""
    return f"deleted-{user_id}@deleted.invalid"


def _export(user: Any) -> dict[str, Any]:
    return {
        "email": user.email,
        "display_name": user.display_name,
        "role": user.role,
        "timezone": user.timezone,
        "theme": user.theme,
        "notify_email_messages": user.notify_email_messages,
        "notify_email_readings": user.notify_email_readings,
        "notify_email_account": user.notify_email_account,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "has_avatar": bool(user.avatar),
        "email_addresses": list(
            EmailAddress.objects.filter(user=user).order_by("pk").values("email", "verified", "primary")
        ),
        "two_factor_methods": list(
            Authenticator.objects.filter(user=user).order_by("pk").values("type", "created_at", "last_used_at")
        ),
        "reader_applications": list(
            ReaderApplication.objects.filter(applicant=user)
            .order_by("pk")
            .values("id", "bio", "specialties", "tools", "years_experience", "status", "decision_reason", "created_at")
        ),
    }


def _files(user: Any) -> list[FileRef]:
    refs: list[FileRef] = []
    if user.avatar:
        refs.append(("default", user.avatar.name, f"avatar/{user.avatar.name.rsplit('/', 1)[-1]}"))
    for application in ReaderApplication.objects.filter(applicant=user).exclude(photo="").order_by("pk"):
        name = application.photo.name
        refs.append(("default", name, f"reader-applications/{application.pk}-{name.rsplit('/', 1)[-1]}"))
    return refs


def _sessions_flush(user_id: int) -> None:
    """Delete every sign-in session of the user (the unusable password already invalidates them)."""
    doomed = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator(chunk_size=500)
        if str(session.get_decoded().get("_auth_user_id")) == str(user_id)
    ]
    Session.objects.filter(session_key__in=doomed).delete()


def _erase(user: Any) -> None:
    EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    ReaderApplication.objects.filter(applicant=user).update(
        bio=REMOVED, specialties="", tools="", photo="", decision_reason=""
    )
    # The admin's change history names objects by their text: the account's own entries lose it.
    LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk)).update(
        object_repr="Deleted account", change_message=""
    )
    # SET_PASSWORD_UNUSABLE: Django's marker for "no password" (what set_unusable_password stores).
    unusable = User(pk=user.pk)
    unusable.set_unusable_password()
    User.objects.filter(pk=user.pk).update(
        email=anonymised_email(user.pk),
        display_name="",
        avatar="",
        password=unusable.password,
        is_active=False,
        is_staff=False,
        is_superuser=False,
        notify_email_messages=False,
        notify_email_readings=False,
        notify_email_account=False,
        last_login=None,
    )
    user.groups.clear()
    user.user_permissions.clear()
    _sessions_flush(user.pk)


personal_data_register(
    PersonalData(
        key="accounts.profile",
        export=_export,
        files=_files,
        erase=_erase,
        models=("accounts.User", "accounts.ReaderApplication"),
    )
)

# Avatars and application photos stored before uploads were re-encoded may still carry a location.
stored_image_register(StoredImageField(key="accounts.avatars", model="accounts.User", field="avatar"))
stored_image_register(
    StoredImageField(key="accounts.application_photos", model="accounts.ReaderApplication", field="photo")
)
