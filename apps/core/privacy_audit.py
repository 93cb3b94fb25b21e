"""Personal data of the audit log: the entries a user's actions wrote and those about their account (see
``apps/core/privacy.py``). The log is append-only: after deletion its rows stay, pointing at the anonymised
account, as the Privacy Policy says of audit and security records."""

from typing import Any

from django.conf import settings
from django.db.models import Q

from .models import AuditLog
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
