import pytest
from django.db import connections
from django.test import override_settings


@pytest.mark.django_db
def test_healthz_database_and_broker_answer_returns_200(client):
    # when
    response = client.get("/healthz")
    # then
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


@pytest.mark.django_db(transaction=True)
def test_healthz_database_unreachable_returns_503(client):
    # given: the default connection points at a port where no database listens
    connection = connections["default"]
    connection.close()
    original_port = connection.settings_dict["PORT"]
    connection.settings_dict["PORT"] = "1"
    try:
        # when
        response = client.get("/healthz")
    finally:
        connection.close()
        connection.settings_dict["PORT"] = original_port
    # then
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"] == "OperationalError"
    assert body["broker"] == "ok"


@pytest.mark.django_db
@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0")
def test_healthz_broker_unreachable_returns_503(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"] == "ConnectionError"
