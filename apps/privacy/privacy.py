"""Personal data of this app: the user's export and deletion requests (see ``apps/core/privacy.py``). On deletion
the exports and their files go; the deletion request stays as the record that the account was deleted."""

from functools import partial
from typing import Any

from django.db import transaction

from apps.core.privacy import PersonalData, personal_data_register

from .constants import EXPORT_STORAGE
from .models import DataExport, DeletionRequest


def _export(user: Any) -> dict[str, Any]:
    return {
        "exports": list(
            DataExport.objects.filter(user=user).order_by("pk").values("status", "requested_at", "ready_at")
        ),
        "deletion_requests": list(
            DeletionRequest.objects.filter(user=user)
            .order_by("pk")
            .values("status", "requested_at", "confirmed_at", "scheduled_for", "cancelled_at")
        ),
    }


def _erase(user: Any) -> None:
    from .services import _file_delete

    for key in DataExport.objects.filter(user=user).exclude(storage_key="").values_list("storage_key", flat=True):
        transaction.on_commit(partial(_file_delete, EXPORT_STORAGE, key))
    DataExport.objects.filter(user=user).delete()


personal_data_register(
    PersonalData(
        key="privacy.requests",
        export=_export,
        erase=_erase,
        models=("privacy.DataExport", "privacy.DeletionRequest"),
    )
)
