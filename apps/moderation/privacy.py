"""Personal data of moderation: the reports a user made (see ``apps/core/privacy.py``). Reports stay for the
moderation record without the reporter's own words."""

from typing import Any

from apps.core.privacy import PersonalData, personal_data_register

from .models import Report


def _export(user: Any) -> list[dict[str, Any]]:
    return list(
        Report.objects.filter(reporter=user)
        .order_by("pk")
        .values(
            "content_type__app_label", "content_type__model", "object_id", "reason", "details", "status", "created_at"
        )
    )


def _erase(user: Any) -> None:
    Report.objects.filter(reporter=user).exclude(details="").update(details="")


personal_data_register(
    PersonalData(key="moderation.reports", export=_export, erase=_erase, models=("moderation.Report",))
)
