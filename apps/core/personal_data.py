"""Personal data kept by the core app (see ``apps/core/privacy.py``).

- The audit log: the entries a user's actions wrote and those about their account. The log is append-only: after
  deletion its rows stay, pointing at the anonymised account, as the Privacy Policy says of audit and security
  records.
- Private file links and their download attempts: on deletion every link expires and loses its file name; the
  attempts stay as security records.
"""

from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .models import AuditLog, FileDownload, FileLink
from .privacy import PersonalData, personal_data_register


def _export(user: Any) -> list[dict[str, Any]]:
    about_user = Q(target_type=settings.AUTH_USER_MODEL.lower(), target_id=str(user.pk))
    return list(
        AuditLog.objects.filter(Q(actor=user) | about_user)
        .order_by("pk")
        .values("action", "target_type", "target_id", "details", "ip_address", "created_at")
    )


def _erase(user: Any) -> None:
    """Nothing is changed: the log is append-only, and the account it points at is anonymised."""


personal_data_register(PersonalData(key="core.audit_log", export=_export, erase=_erase, models=("core.AuditLog",)))


def _file_links_export(user: Any) -> dict[str, Any]:
    return {
        "links": list(
            FileLink.objects.filter(user=user).order_by("pk").values("purpose", "filename", "created_at", "expires_at")
        ),
        "downloads": list(
            FileDownload.objects.filter(user=user).order_by("pk").values("link__purpose", "outcome", "ip_address", "at")
        ),
    }


def _file_links_erase(user: Any) -> None:
    now = timezone.now()
    FileLink.objects.filter(user=user, expires_at__gt=now).update(expires_at=now)
    FileLink.objects.filter(user=user).update(filename="download")


personal_data_register(
    PersonalData(
        key="core.file_links",
        export=_file_links_export,
        erase=_file_links_erase,
        models=("core.FileLink", "core.FileDownload"),
    )
)
