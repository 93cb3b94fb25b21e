"""Sign-in and sign-up resist guessing and bots: allauth's rate limits are on, and the sign-up honeypot refuses."""

import pytest
from django.conf import settings
from django.urls import reverse

from apps.accounts.models import User

from .factories import DEFAULT_PASSWORD, UserFactory, give_totp

pytestmark = pytest.mark.django_db


def test_login_failed_five_times_for_one_email_then_correct_password_refused(client):
    # given: the per-account limit of failed attempts is 5 in 5 minutes
    assert "5/5m/key" in settings.ACCOUNT_RATE_LIMITS["login_failed"]
    user = UserFactory()
    url = reverse("account_login")
    for _ in range(5):
        wrong = client.post(url, {"login": user.email, "password": "not-the-password-123"})
        assert wrong.status_code == 200
        assert "Too many failed login attempts" not in wrong.content.decode()
    # when: even the right password is refused while the limit holds
    response = client.post(url, {"login": user.email, "password": DEFAULT_PASSWORD})
    # then
    assert response.status_code == 200
    assert "Too many failed login attempts. Try again later." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_failed_limit_for_one_email_does_not_lock_out_another(client):
    # given
    locked, other = UserFactory(), UserFactory()
    url = reverse("account_login")
    for _ in range(6):
        client.post(url, {"login": locked.email, "password": "not-the-password-123"})
    # when
    response = client.post(url, {"login": other.email, "password": DEFAULT_PASSWORD})
    # then
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(other.pk)


def test_login_more_than_thirty_attempts_a_minute_from_one_ip_answers_429(client):
    # given: the per-IP limit on the sign-in form
    assert settings.ACCOUNT_RATE_LIMITS["login"] == "30/m/ip"
    url = reverse("account_login")
    statuses = [
        client.post(url, {"login": f"guess{n}@example.com", "password": "not-the-password-123"}).status_code
        for n in range(30)
    ]
    assert 429 not in statuses
    # when
    response = client.post(url, {"login": "guess-last@example.com", "password": "not-the-password-123"})
    # then
    assert response.status_code == 429


def test_signup_post_honeypot_filled_refused_and_creates_nobody(client):
    # given
    data = {
        "email": "bot@example.com",
        "password1": "moonlit-garden-path-2026",
        "password2": "moonlit-garden-path-2026",
        "website": "https://spam.example.com",
    }
    # when
    response = client.post(reverse("account_signup"), data)
    # then
    assert response.status_code == 200
    assert "This submission looks automated." in response.content.decode()
    assert not User.objects.filter(email="bot@example.com").exists()


def test_signup_post_honeypot_empty_creates_unverified_client(client, mailoutbox):
    # given
    data = {
        "email": "person@example.com",
        "password1": "moonlit-garden-path-2026",
        "password2": "moonlit-garden-path-2026",
        "website": "",
    }
    # when
    response = client.post(reverse("account_signup"), data)
    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email="person@example.com")
    assert user.role == "client"
    assert not user.emailaddress_set.get().verified
    assert len(mailoutbox) == 1


def test_admin_login_page_password_only_does_not_sign_in_and_sends_to_sign_in_with_two_factor(client, admin_user):
    # given: an admin with TOTP; Django's own admin login form would take the password alone
    give_totp(admin_user)
    # when
    response = client.post("/admin/login/?next=/admin/", {"username": admin_user.email, "password": DEFAULT_PASSWORD})
    # then: nobody is signed in; the way in is our sign-in page, which asks for the TOTP code
    assert "_auth_user_id" not in client.session
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login") + "?next=%2Fadmin%2F"


def test_admin_site_anonymous_sent_to_our_sign_in_page(client):
    # when
    first = client.get("/admin/")
    second = client.get(first["Location"])
    # then
    assert first.status_code == second.status_code == 302
    assert second["Location"] == reverse("account_login") + "?next=%2Fadmin%2F"


@pytest.mark.parametrize("role", ["client", "reader"])
def test_admin_site_signed_in_non_admin_gets_404(client, role):
    # given
    client.force_login(UserFactory(role=role))
    # when
    response = client.get("/admin/", follow=True)
    # then
    assert response.status_code == 404


def test_login_failed_limit_behind_the_proxy_counts_the_forwarded_address_not_the_router(client, settings):
    # given: one proxy in front (Heroku's router at 10.0.0.1); one visitor fails ten logins, under ten emails
    settings.TRUSTED_PROXY_COUNT = 1
    assert "10/m/ip" in settings.ACCOUNT_RATE_LIMITS["login_failed"]
    url = reverse("account_login")
    router = {"REMOTE_ADDR": "10.0.0.1"}
    for n in range(10):
        client.post(
            url,
            {"login": f"guess{n}@example.com", "password": "not-the-password-123"},
            HTTP_X_FORWARDED_FOR="203.0.113.5",
            **router,
        )
    user = UserFactory()
    # when: someone else signs in through the same router
    elsewhere = client.post(
        url, {"login": user.email, "password": DEFAULT_PASSWORD}, HTTP_X_FORWARDED_FOR="198.51.100.7", **router
    )
    # then: they are let in, while the guessing address is still refused (even an address it claims to relay
    # for in front of its own, which the router appends after it)
    assert elsewhere.status_code == 302
    client.logout()
    guesser = client.post(
        url,
        {"login": user.email, "password": DEFAULT_PASSWORD},
        HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.5",
        **router,
    )
    assert guesser.status_code == 200
    assert "Too many failed login attempts" in guesser.content.decode()
