"""The domain error middleware: every domain error a view lets through answers with its status, as a full page,
an HTMX partial for the page's error region, or JSON ``{detail, code}`` for API requests."""

import json

import pytest
from django.urls import reverse

from .error_urls import ERRORS

pytestmark = [pytest.mark.django_db, pytest.mark.urls("apps.core.tests.error_urls")]

STATUSES = [
    ("invalid", 400),
    ("funds", 402),
    ("forbidden", 403),
    ("refused", 403),
    ("missing", 404),
    ("hidden_room", 404),
    ("state", 409),
    ("limited", 429),
    ("unconfigured", 503),
]


@pytest.mark.parametrize(("kind", "status"), STATUSES)
def test_domain_error_middleware_page_request_full_error_page(client, client_user, kind, status):
    # given
    client.force_login(client_user)
    # when
    response = client.get(f"/errors-test/{kind}/")
    # then
    assert response.status_code == status
    assert response.templates[0].name == "error.html"
    html = response.content.decode()
    assert "<html" in html and f"Error {status}" in html
    assert ERRORS[kind].message in html
    assert 'id="error-region"' in html


@pytest.mark.parametrize(("kind", "status"), STATUSES)
def test_domain_error_middleware_htmx_request_partial_retargeted_to_error_region(client, client_user, kind, status):
    # given
    client.force_login(client_user)
    # when
    response = client.post(f"/errors-test/{kind}/", headers={"HX-Request": "true"})
    # then
    assert response.status_code == status
    assert response["HX-Retarget"] == "#error-region"
    assert response["HX-Reswap"] == "innerHTML"
    html = response.content.decode()
    assert "<html" not in html
    assert ERRORS[kind].message in html and 'class="alert alert-error"' in html


@pytest.mark.parametrize(("kind", "status"), STATUSES)
def test_domain_error_middleware_api_request_json_detail_and_code(client, client_user, kind, status):
    # given
    client.force_login(client_user)
    error = ERRORS[kind]
    # when
    plain = client.post(f"/api/v1/errors-test/{kind}/")
    drf = client.post(f"/api/v1/errors-test/{kind}/drf/")
    asks_json = client.post(f"/errors-test/{kind}/", headers={"Accept": "application/json"})
    # then
    for response in (plain, drf, asks_json):
        assert response.status_code == status
        assert response["Content-Type"].startswith("application/json")
        assert json.loads(response.content) == {"detail": error.message, "code": error.code}


def test_domain_error_middleware_code_names_the_error_class(client, client_user):
    # given
    client.force_login(client_user)
    # when
    response = client.post("/api/v1/errors-test/funds/")
    # then
    assert response.json()["code"] == "InsufficientFunds"


def test_domain_error_middleware_other_exceptions_left_alone(client, client_user):
    # given: an unknown kind makes the view raise KeyError, not a domain error
    client.force_login(client_user)
    client.raise_request_exception = True
    # when / then
    with pytest.raises(KeyError):
        client.get("/errors-test/nonsense/")


def test_domain_errors_redirect_refusal_flashed_and_sent_back(client, client_user):
    # given
    client.force_login(client_user)
    # when
    response = client.post("/errors-test/state/form/", follow=True)
    # then
    assert response.redirect_chain == [(reverse("pages:contact"), 302)]
    assert [str(message) for message in response.context["messages"]] == ["The reading has already ended."]


def test_domain_errors_redirect_not_found_still_404(client, client_user):
    # given
    client.force_login(client_user)
    # when
    response = client.post("/errors-test/missing/form/")
    # then
    assert response.status_code == 404
    assert "That thing does not exist." in response.content.decode()


def test_domain_errors_redirect_htmx_request_gets_the_partial(client, client_user):
    # given
    client.force_login(client_user)
    # when
    response = client.post("/errors-test/state/form/", headers={"HX-Request": "true"})
    # then
    assert response.status_code == 409
    assert response["HX-Retarget"] == "#error-region"


def test_domain_error_middleware_insufficient_funds_page_offers_top_up(client, client_user):
    # given
    client.force_login(client_user)
    # when
    response = client.get("/errors-test/funds/")
    # then
    assert response.status_code == 402
    assert f'href="{reverse("wallet:topup")}"' in response.content.decode()
