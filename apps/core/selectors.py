"""Health checks for /healthz: each returns (ok, detail)."""

from django.conf import settings
from django.db import connections


def database_status(alias: str = "default") -> tuple[bool, str]:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not answering"
        return False, exc.__class__.__name__
    return True, "ok"


def broker_status() -> tuple[bool, str]:
    url = settings.CELERY_BROKER_URL
    if url.startswith(("redis://", "rediss://")):
        import redis

        try:
            client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
            client.ping()
        except Exception as exc:
            return False, exc.__class__.__name__
        return True, "ok"
    if url.startswith("filesystem://"):
        from pathlib import Path

        folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
        folder.mkdir(parents=True, exist_ok=True)
        return (True, "ok") if folder.is_dir() else (False, "missing broker folder")
    return False, "unknown broker"


def audit_log_list(*, viewer, action: str = "", actor_email: str = "", target: str = ""):
    """Audit rows for the admin viewer, newest first. ``target`` is "type" or "type:id" (e.g. accounts.user:7)."""
    from .exceptions import NotFound
    from .models import AuditLog

    if not getattr(viewer, "is_staff", False):
        raise NotFound()
    queryset = AuditLog.objects.select_related("actor").order_by("-created_at", "-id")
    if action:
        queryset = queryset.filter(action__startswith=action.strip())
    if actor_email:
        queryset = queryset.filter(actor__email__icontains=actor_email.strip())
    if target:
        target_type, _, target_id = target.strip().partition(":")
        queryset = queryset.filter(target_type=target_type.strip().lower())
        if target_id.strip():
            queryset = queryset.filter(target_id=target_id.strip())
    return queryset
