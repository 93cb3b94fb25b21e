"""Cross-cutting write services."""

from typing import Any

from django.db import models
from django.http import HttpRequest

from .models import AuditLog


def client_ip(request: HttpRequest | None) -> str | None:
    """The caller's IP. Behind Heroku's router the first X-Forwarded-For entry is the client."""
    if request is None:
        return None
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded:
        return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


def audit_log_record(
    *,
    actor: Any,
    action: str,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str | int = "",
    details: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditLog:
    """Append one audit row. Call it inside the caller's transaction so the row commits with the change."""
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or target.pk
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditLog.objects.create(
        actor=user,
        action=action,
        target_type=target_type,
        target_id=str(target_id) if target_id != "" else "",
        details=details or {},
        ip_address=client_ip(request),
    )
