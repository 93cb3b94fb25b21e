from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from .guards import active_suspension, moderation_state_load, suspension_message
from .roles import is_moderator


def moderation(request: HttpRequest) -> dict[str, Any]:
    """The suspended user's banner (reason and end, in their time zone) on every page, and the queue's link in the
    account menu for moderators. The suspension is looked up once per request (cached on the user)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    moderation_state_load(user)
    suspension = active_suspension(user)
    return {
        "suspension_notice": suspension_message(suspension=suspension, zone_name=user.timezone) if suspension else "",
        "moderation_queue_url": reverse("moderation:queue") if is_moderator(user) else "",
    }
