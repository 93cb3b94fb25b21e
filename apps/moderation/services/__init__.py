"""Write services of the moderation app: users flag content, moderators decide, suspend and lift; admins grant the
moderator role and set trust levels. ``write_guard`` (from ``guards``) is re-exported here for the apps that write."""

from ..guards import write_guard
from .common import (
    AUTO_HIDE_REASON,
    MODERATION_AUTO_HIDDEN_KIND,
    MODERATION_RESTORED_KIND,
    MODERATION_WARNING_KIND,
    MODERATOR_ROLE_KIND,
    REPORT_DETAILS_MAX_LENGTH,
    REPORT_RATE_LIMIT,
    REPORT_RATE_WINDOW_SECONDS,
    SUSPENDED_KIND,
    SUSPENSION_LIFTED_KIND,
)
from .reports import content_hide, content_unhide, report_create, report_decide, report_target_get
from .roles import moderator_grant, moderator_revoke, trust_override_set
from .suspensions import suspension_until, user_suspend, user_suspension_lift

__all__ = [
    "AUTO_HIDE_REASON",
    "MODERATION_AUTO_HIDDEN_KIND",
    "MODERATION_RESTORED_KIND",
    "MODERATION_WARNING_KIND",
    "MODERATOR_ROLE_KIND",
    "REPORT_DETAILS_MAX_LENGTH",
    "REPORT_RATE_LIMIT",
    "REPORT_RATE_WINDOW_SECONDS",
    "SUSPENDED_KIND",
    "SUSPENSION_LIFTED_KIND",
    "content_hide",
    "content_unhide",
    "moderator_grant",
    "moderator_revoke",
    "report_create",
    "report_decide",
    "report_target_get",
    "suspension_until",
    "trust_override_set",
    "user_suspend",
    "user_suspension_lift",
    "write_guard",
]
