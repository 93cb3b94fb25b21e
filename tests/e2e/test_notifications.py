"""In-app notifications in a real browser: the bell shows the unread count, the list page is axe-clean and
marking a notification as read updates the page and the count. The client signs in by session cookie (the sign-in
forms are the site journey's) and opens the page signing in lands on (``LOGIN_REDIRECT_URL``)."""

import pytest
from django.conf import settings as django_settings
from django.shortcuts import resolve_url
from django.urls import reverse

from apps.accounts.tests.factories import UserFactory
from apps.notifications.enums import Kind
from apps.notifications.models import Notification
from apps.notifications.services import notify
from tests.e2e.conftest import assert_axe_clean, sign_in_with_session


@pytest.mark.django_db(transaction=True)
def test_bell_count_list_and_mark_as_read(live_server, page):
    # given: a client with two unread notifications
    user = UserFactory(email="seeker@example.com")
    notify(user=user, kind=Kind.READER_ONLINE, title="Vega Starling is online now", url="/readers/")
    notify(user=user, kind=Kind.READER_ONLINE, title="Selene Moon is online now")
    base = live_server.url
    sign_in_with_session(page, base, user)
    page.goto(base + resolve_url(django_settings.LOGIN_REDIRECT_URL))
    page.wait_for_url("**/dashboard/**")

    # when: the bell shows the count and leads to the list
    bell = page.locator("#notifications-bell")
    bell.locator(".badge").wait_for()
    assert bell.locator(".badge").text_content().strip() == "2 unread"
    bell.click()
    page.wait_for_url(f"**{reverse('notifications:list')}")
    assert_axe_clean(page)

    # and one is marked as read in place
    item = page.locator("li", has_text="Selene Moon is online now")
    item.get_by_role("button", name="Mark as read").click()
    item = page.locator("li", has_text="Selene Moon is online now")
    item.get_by_role("button", name="Mark as read").wait_for(state="detached")

    # then
    assert Notification.objects.filter(user=user, read_at__isnull=True).count() == 1
    page.reload()
    page.locator("#notifications-bell .badge").wait_for()
    assert page.locator("#notifications-bell .badge").text_content().strip() == "1 unread"
