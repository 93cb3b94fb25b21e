import pytest

from apps.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory


@pytest.mark.django_db
def test_me_with_app_session_token_from_headless_login_returns_own_account(client):
    # given: a verified user signs in through the mobile (app) auth API
    user = UserFactory(email="mobile@example.com")
    login = client.post(
        "/_allauth/app/v1/auth/login",
        {"email": "mobile@example.com", "password": DEFAULT_PASSWORD},
        content_type="application/json",
    )
    assert login.status_code == 200, login.content
    token = login.json()["meta"]["session_token"]
    # when: a fresh client (no cookies) calls the API with the token only
    from django.test import Client

    response = Client().get("/api/v1/me/", HTTP_X_SESSION_TOKEN=token)
    # then
    assert response.status_code == 200
    assert response.json()["email"] == "mobile@example.com"
    assert response.json()["id"] == user.pk


@pytest.mark.django_db
def test_me_with_bad_token_or_none_is_refused(client):
    assert client.get("/api/v1/me/").status_code in (401, 403)
    assert client.get("/api/v1/me/", HTTP_X_SESSION_TOKEN="not-a-token").status_code in (401, 403)


@pytest.mark.django_db
def test_me_with_browser_session_returns_own_account(client, client_user):
    client.force_login(client_user)
    assert client.get("/api/v1/me/").json()["email"] == client_user.email


@pytest.mark.django_db
def test_api_schema_and_docs_are_served_without_external_assets(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/me/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"cdn.jsdelivr.net" not in docs.content
    assert b"/static/drf_spectacular_sidecar/" in docs.content
