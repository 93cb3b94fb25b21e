"""Personal data of notifications: the user's own notifications (see ``apps/core/privacy.py``). On deletion they
are removed, and other people's notifications that named the user ("A message from Jane") lose the name."""

from typing import Any

from apps.core.privacy import PersonalData, personal_data_register

from .models import Notification
from .services import notification_texts_remove

FORMER_MEMBER = "a former member"


def _export(user: Any) -> list[dict[str, Any]]:
    return list(
        Notification.objects.filter(user=user)
        .order_by("pk")
        .values("kind", "title", "body", "url", "created_at", "read_at")
    )


def names_of(user: Any) -> list[str]:
    """How other people's texts may have named ``user``: their names and address (longest first)."""
    profile = getattr(user, "reader_profile", None) if hasattr(user, "reader_profile") else None
    names = {user.email, user.display_name, user.email.split("@")[0], getattr(profile, "display_name", "")}
    return [name for name in names if name]


def _erase(user: Any) -> None:
    Notification.objects.filter(user=user).delete()
    notification_texts_remove(texts=names_of(user), replacement=FORMER_MEMBER)


personal_data_register(
    PersonalData(
        key="notifications.notifications", export=_export, erase=_erase, models=("notifications.Notification",)
    )
)
