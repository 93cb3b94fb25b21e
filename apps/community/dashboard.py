"""The dashboards' "Threads you follow" section, for clients and readers: the followed threads with the newest
posts first, each linking to the thread."""

from typing import Any

from django.http import HttpRequest

from apps.dashboards.sections import Section, dashboard_section_register

FOLLOWING = Section(
    "forum-following",
    "Threads you follow",
    template="community/partials/_following_section.html",
    context="apps.community.dashboard.following_context",
)


def following_context(request: HttpRequest) -> dict[str, Any]:
    from .selectors import followed_thread_list

    return {"threads": followed_thread_list(viewer=request.user)}


dashboard_section_register(role="client", order=65, section=FOLLOWING)
dashboard_section_register(role="reader", order=37, section=FOLLOWING)
