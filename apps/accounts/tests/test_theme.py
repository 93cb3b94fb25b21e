"""The theme endpoint behind the header toggle and the service that stores the choice."""

import pytest
from django.urls import reverse

from apps.accounts.enums import Theme
from apps.accounts.exceptions import InvalidInputError
from apps.accounts.services import user_set_theme

pytestmark = pytest.mark.django_db


def test_user_new_account_is_dark_by_default(client_user):
    # then
    assert client_user.theme == Theme.DARK


def test_user_set_theme_known_value_stores_it(client_user):
    # given
    assert client_user.theme == Theme.DARK
    # when
    user_set_theme(user=client_user, theme=Theme.LIGHT)
    # then
    client_user.refresh_from_db()
    assert client_user.theme == Theme.LIGHT


def test_user_set_theme_unknown_value_raises_and_changes_nothing(client_user):
    # given
    user_set_theme(user=client_user, theme=Theme.DARK)
    # when
    with pytest.raises(InvalidInputError):
        user_set_theme(user=client_user, theme="sepia")
    # then
    client_user.refresh_from_db()
    assert client_user.theme == Theme.DARK


def test_theme_set_fetch_request_answers_204_and_stores_theme(client, client_user):
    # given
    client.force_login(client_user)
    # when
    response = client.post(reverse("accounts:theme"), {"theme": "light"}, headers={"X-Requested-With": "fetch"})
    # then
    assert response.status_code == 204
    client_user.refresh_from_db()
    assert client_user.theme == Theme.LIGHT


def test_theme_set_htmx_request_answers_204(client, client_user):
    # given
    client.force_login(client_user)
    # when
    response = client.post(reverse("accounts:theme"), {"theme": "dark"}, headers={"HX-Request": "true"})
    # then
    assert response.status_code == 204
    client_user.refresh_from_db()
    assert client_user.theme == Theme.DARK


def test_theme_set_plain_form_redirects_to_safe_next(client, client_user):
    # given
    client.force_login(client_user)
    # when
    response = client.post(reverse("accounts:theme"), {"theme": "dark", "next": "https://evil.example/"})
    # then
    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.parametrize("value", ["", "sepia", "LIGHT", "dark "])
def test_theme_set_bad_value_answers_400_and_changes_nothing(client, client_user, value):
    # given
    client.force_login(client_user)
    # when
    response = client.post(reverse("accounts:theme"), {"theme": value}, headers={"X-Requested-With": "fetch"})
    # then
    assert response.status_code == 400
    client_user.refresh_from_db()
    assert client_user.theme == Theme.DARK


def test_theme_set_anonymous_redirects_to_login(client):
    # when
    response = client.post(reverse("accounts:theme"), {"theme": "light"})
    # then
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_theme_set_get_is_not_allowed(client, client_user):
    # given
    client.force_login(client_user)
    # when
    response = client.get(reverse("accounts:theme"))
    # then
    assert response.status_code == 405


def test_theme_set_without_csrf_token_is_refused(client_user):
    # given
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(client_user)
    # when
    response = csrf_client.post(reverse("accounts:theme"), {"theme": "light"})
    # then
    assert response.status_code == 403
    client_user.refresh_from_db()
    assert client_user.theme == Theme.DARK


def test_base_layout_signed_in_user_who_chose_system_follows_device(client, client_user):
    # given
    user_set_theme(user=client_user, theme=Theme.SYSTEM)
    client.force_login(client_user)
    # when
    html = client.get(reverse("pages:home")).content.decode()
    # then
    assert 'data-theme="system"' in html


def test_base_layout_signed_in_user_renders_stored_theme(client, client_user):
    # given
    user_set_theme(user=client_user, theme=Theme.LIGHT)
    client.force_login(client_user)
    # when
    html = client.get(reverse("pages:home")).content.decode()
    # then
    assert 'data-theme="light"' in html
    assert 'data-theme-persist="server"' in html
    assert f'data-theme-url="{reverse("accounts:theme")}"' in html


def test_base_layout_anonymous_visitor_sees_dark_theme(client):
    # when
    html = client.get(reverse("pages:home")).content.decode()
    # then: dark until the visitor picks light (remembered in the browser by static/js/theme-init.js)
    assert 'data-theme="dark"' in html
    assert 'data-theme-persist="local"' in html
