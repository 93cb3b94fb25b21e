"""Personal data of real-time rooms: which rooms the user was given access to and their connection history (see
``apps/core/privacy.py``). Kept after deletion as security records of the anonymised account, like the audit
log; they hold no name, text or address."""

from typing import Any

from apps.core.privacy import PersonalData, personal_data_register

from .models import RtcConnectionEvent


def _export(user: Any) -> list[dict[str, Any]]:
    return list(
        RtcConnectionEvent.objects.filter(user=user)
        .order_by("pk")
        .values("use", "object_id", "state", "previous_state", "reason", "created_at")
    )


def _erase(user: Any) -> None:
    """Nothing personal to remove: the rows name rooms and states only."""


personal_data_register(
    PersonalData(
        key="rtc.connections",
        export=_export,
        erase=_erase,
        models=("rtc.RtcTokenGrant", "rtc.RtcConnectionEvent", "rtc.PresenceSignal"),
    )
)
