"""Reads of the privacy pages: the viewer's own exports and deletion requests only."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from apps.core.privacy import personal_data_blockers
from apps.wallet.selectors import wallet_balance

from .enums import OPEN_DELETION_STATUSES, ExportStatus
from .exceptions import ExportNotAvailable
from .models import DataExport, DeletionRequest


def export_latest(*, viewer: Any) -> DataExport | None:
    return DataExport.objects.filter(user=viewer).order_by("-requested_at", "-pk").first()


def export_ready_get(*, viewer: Any, now: datetime | None = None) -> DataExport:
    """The viewer's ready export whose file is still kept (``ExportNotAvailable`` otherwise)."""
    now = now or timezone.now()
    export = DataExport.objects.filter(user=viewer, status=ExportStatus.READY, expires_at__gt=now).first()
    if export is None:
        raise ExportNotAvailable("You have no export ready to download. Ask for a new one on this page.")
    return export


def deletion_open(*, viewer: Any) -> DeletionRequest | None:
    return DeletionRequest.objects.filter(user=viewer, status__in=sorted(OPEN_DELETION_STATUSES)).first()


def deletion_blockers(*, viewer: Any) -> list[str]:
    return personal_data_blockers(viewer)


def deletion_wallet_balance(*, viewer: Any) -> Decimal:
    return wallet_balance(user=viewer)
