"""Every admin page can be reached from the admin dashboard: no tool is left without a link to it."""

import re

import pytest
from django.urls import reverse

from apps.core.tests.test_staff_access import ADMIN_PATHS

pytestmark = pytest.mark.django_db

HREF = re.compile(r'href="(/(?:staff|dashboard/admin)/[^"#?]*)')


def _links(html: str) -> set[str]:
    return set(HREF.findall(html))


def test_admin_dashboard_reaches_every_admin_page_within_two_clicks(admin_client):
    # given: the admin pages that open on their own (not HTMX panels, POST-only actions or pages about one object)
    pages = []
    for path in ADMIN_PATHS:
        if re.search(r"/(1|a-slug|a-value)/", path) or "/panel/" in path:
            continue
        response = admin_client.get(path)
        if response.status_code == 200 and b"<html" in response.content:
            pages.append(path)
    # when: follow the dashboard's links, and the links of the pages they open
    dashboard = reverse("dashboards:admin")
    reached = _links(admin_client.get(dashboard).content.decode())
    for path in list(reached):
        response = admin_client.get(path)
        if response.status_code == 200:
            reached |= _links(response.content.decode())
    # then
    unreachable = sorted(set(pages) - reached - {dashboard})
    assert len(pages) >= 8, pages
    assert not unreachable, f"link these from the admin dashboard: {unreachable}"
