"""Download links of ready exports: short-lived links bound to the export's owner (``apps.core.files``)."""

from datetime import datetime
from typing import Any

from django.utils import timezone

from .constants import EXPORT_LINK_PURPOSE, EXPORT_LINK_TTL
from .models import DataExport


def export_link_issue(*, export: DataExport, user: Any, now: datetime | None = None) -> str:
    """A new download link to ``export``'s ZIP for ``user`` (its owner): valid 24 hours, and never past the
    file's own expiry. Inner helper: the caller checked the export is ready and the user's."""
    from apps.core.files import file_link_issue

    now = now or timezone.now()
    assert export.expires_at is not None and export.ready_at is not None
    ttl = min(EXPORT_LINK_TTL, export.expires_at - now)
    _link, url = file_link_issue(
        user=user,
        storage_key=export.storage_key,
        filename=f"soulseer-data-{export.ready_at:%Y-%m-%d}.zip",
        purpose=EXPORT_LINK_PURPOSE,
        content_type="application/zip",
        ttl=ttl,
    )
    return url
