"""What the moderation services share: limits, notification kinds, who may act."""

from typing import Any

from apps.core.exceptions import PermissionDeniedError
from apps.notifications.registry import notification_kind_register

from ..roles import is_moderator

REPORT_RATE_LIMIT = 5
REPORT_RATE_WINDOW_SECONDS = 60
REPORT_DETAILS_MAX_LENGTH = 1000
MODERATION_WARNING_KIND = notification_kind_register("account.moderation_warning", label="A moderator's warning")
MODERATION_RESTORED_KIND = notification_kind_register(
    "account.moderation_restored", label="A moderator restored your content"
)
MODERATION_AUTO_HIDDEN_KIND = notification_kind_register(
    "account.moderation_auto_hidden", label="Your content is hidden until a moderator reviews it"
)
SUSPENDED_KIND = notification_kind_register("account.suspended", label="Your account is suspended")
SUSPENSION_LIFTED_KIND = notification_kind_register("account.suspension_lifted", label="Your suspension is lifted")
MODERATOR_ROLE_KIND = notification_kind_register("account.moderator_role", label="The moderator role")
AUTO_HIDE_REASON = "Hidden until a moderator reviews it, after several members reported it."


def _require_moderator(actor: Any) -> None:
    if not is_moderator(actor):
        raise PermissionDeniedError("Only moderators can do this.")


def _require_admin(actor: Any) -> None:
    if not (getattr(actor, "is_authenticated", False) and actor.is_staff):
        raise PermissionDeniedError("Only admins can do this.")
