"""Changing the email address and the password through our own allauth pages."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from .factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "silver-lantern-harbour-91"


def test_change_password_with_current_password_changes_it(client):
    # given
    user = UserFactory()
    client.force_login(user)
    # when
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": DEFAULT_PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    # then
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_change_password_wrong_current_password_shows_error_and_keeps_it(client):
    # given
    user = UserFactory()
    client.force_login(user)
    # when
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": "not-my-password-000", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    # then
    assert response.status_code == 200
    assert "Please type your current password." in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_change_email_add_address_verify_by_link_and_make_primary(client, mailoutbox):
    # given
    user = UserFactory()
    client.force_login(user)
    # when: add a second address
    added = client.post(reverse("account_email"), {"action_add": "", "email": "new-address@example.com"})
    # then: it is unverified until its link is followed
    assert added.status_code == 302
    address = EmailAddress.objects.get(user=user, email="new-address@example.com")
    assert not address.verified
    assert mailoutbox[-1].to == ["new-address@example.com"]
    key_path = re.search(r"/accounts/confirm-email/[^/\s]+/", mailoutbox[-1].body)
    assert key_path
    assert client.post(key_path.group(0)).status_code == 302
    address.refresh_from_db()
    assert address.verified
    # when: make it the primary address
    primary = client.post(reverse("account_email"), {"action_primary": "", "email": "new-address@example.com"})
    # then: the login email follows the primary address
    assert primary.status_code == 302
    user.refresh_from_db()
    assert user.email == "new-address@example.com"
