"""Personal data of moderation (see ``apps/core/privacy.py``): the reports a user made, which stay for the
moderation record without the reporter's own words; and the moderation record about the user (suspensions,
the moderator role, a trust level set by hand, content hidden by flags), exported, kept for the record, with a
suspension's reason (a moderator's words about the person) removed when the account is deleted."""

from typing import Any

from apps.core.privacy import PersonalData, personal_data_register

from .models import ModeratorGrant, Report, Suspension, TrustOverride


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


def _record_export(user: Any) -> dict[str, Any]:
    return {
        "suspensions": list(
            Suspension.objects.filter(user=user)
            .order_by("pk")
            .values("reason", "starts_at", "ends_at", "lifted_at", "created_at")
        ),
        "moderator_role": list(
            ModeratorGrant.objects.filter(user=user).order_by("pk").values("granted_at", "revoked_at")
        ),
        "trust_level_set_by_admin": list(TrustOverride.objects.filter(user=user).values("level", "set_at")),
    }


def _record_erase(user: Any) -> None:
    Suspension.objects.filter(user=user).update(reason="[Removed when the account was deleted.]")


# AutoHide rows name content and the moderator who cleared them (a foreign key only, nothing personal to export).
personal_data_register(
    PersonalData(
        key="moderation.record",
        export=_record_export,
        erase=_record_erase,
        models=(
            "moderation.Suspension",
            "moderation.ModeratorGrant",
            "moderation.TrustOverride",
            "moderation.AutoHide",
        ),
    )
)
