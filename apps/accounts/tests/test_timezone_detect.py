"""The browser's time zone is taken once for an account that never chose one, and never over a choice."""

import pytest
from django.urls import reverse

from apps.accounts.models import User
from apps.accounts.services import user_timezone_detected, user_update_profile
from apps.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _profile(user: User, timezone: str) -> None:
    user_update_profile(
        user=user,
        display_name=user.display_name,
        timezone=timezone,
        theme=user.theme,
        notify_email_messages=True,
        notify_email_readings=True,
        notify_email_account=True,
    )


def test_user_timezone_detected_is_taken_once_for_a_new_account():
    # given
    user = UserFactory()
    assert (user.timezone, user.timezone_chosen) == ("UTC", False)
    # when
    taken = user_timezone_detected(user=user, timezone="America/Los_Angeles")
    again = user_timezone_detected(user=user, timezone="Europe/Paris")
    # then
    user.refresh_from_db()
    assert (taken, again) == (True, False)
    assert user.timezone == "America/Los_Angeles"


def test_user_timezone_detected_never_replaces_a_zone_chosen_in_the_settings_even_utc():
    # given a user who chose UTC on purpose
    user = UserFactory()
    _profile(user, "UTC")
    # when
    taken = user_timezone_detected(user=user, timezone="Asia/Kolkata")
    # then
    user.refresh_from_db()
    assert taken is False and user.timezone == "UTC" and user.timezone_chosen


def test_user_timezone_detected_never_replaces_a_zone_set_otherwise_and_the_page_does_not_ask(client):
    # given: a zone an admin or an import set, not chosen in the settings
    user = UserFactory(timezone="America/Los_Angeles")
    client.force_login(user)
    # when
    page = client.get(reverse("accounts:settings")).content.decode()
    taken = user_timezone_detected(user=user, timezone="UTC")
    # then
    user.refresh_from_db()
    assert "data-timezone-detect-url" not in page
    assert taken is False and user.timezone == "America/Los_Angeles"


def test_timezone_detect_view_refuses_an_unknown_zone_and_the_page_stops_asking_once_set(client):
    # given
    user = UserFactory()
    client.force_login(user)
    url = reverse("accounts:timezone_detect")
    assert f'data-timezone-detect-url="{url}"' in client.get(reverse("accounts:settings")).content.decode()
    # when
    bad = client.post(url, {"timezone": "Nowhere/Atlantis"})
    good = client.post(url, {"timezone": "Australia/Sydney"}, HTTP_X_REQUESTED_WITH="fetch")
    # then
    assert bad.status_code == 400 and good.status_code == 204
    user.refresh_from_db()
    assert user.timezone == "Australia/Sydney"
    assert "data-timezone-detect-url" not in client.get(reverse("accounts:settings")).content.decode()
