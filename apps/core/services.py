"""Cross-cutting write services."""

from typing import Any

from django.conf import settings
from django.db import models
from django.http import HttpRequest

from .models import AuditLog


def client_ip(request: HttpRequest | None) -> str | None:
    """The caller's IP address.

    Behind N trusted proxies (``settings.TRUSTED_PROXY_COUNT``; Heroku's router is one) the client is the
    N-th entry from the END of X-Forwarded-For: proxies append, so earlier entries are whatever the client
    chose to send and cannot be trusted. With no trusted proxy, REMOTE_ADDR is the client.
    """
    if request is None:
        return None
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
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
