"""Row locks of the privacy app. Callers hold a transaction. Lock order: the user row first
(``apps.accounts.locks.user_lock``), then their export or deletion request."""

from .models import DataExport, DeletionRequest


def export_lock(*, export_id: int) -> DataExport | None:
    return DataExport.objects.select_for_update(of=("self",)).order_by("pk").filter(pk=export_id).first()


def deletion_lock(*, request_id: int) -> DeletionRequest | None:
    return DeletionRequest.objects.select_for_update(of=("self",)).order_by("pk").filter(pk=request_id).first()
