"""schemathesis over the OpenAPI schema the site serves at ``/api/schema/`` (drf-spectacular).

Every operation is called with generated requests (a small, fixed number per operation, derandomized so a run
is repeatable), signed in as a client and as a reader through the Django session with a valid CSRF token, as a
browser calls the API. Each answer must not be a server error, must carry a status code, content type and
body the schema declares for it. A new API endpoint is covered as soon as it is in the schema.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.conf import settings
from django.test import Client, override_settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application

pytestmark = [pytest.mark.django_db(transaction=False)]

EXAMPLES_PER_OPERATION = 15
CSRF_TOKEN = "a" * 32


def not_a_server_error(ctx: Any, response: Any, case: Any) -> bool:
    if response.status_code >= 500:
        raise AssertionError(f"{case.method} {case.path} answered {response.status_code}: {response.text[:300]}")
    return True


def _session_cookies(user: Any) -> dict[str, str]:
    browser = Client()
    browser.force_login(user)
    return {settings.SESSION_COOKIE_NAME: browser.cookies[settings.SESSION_COOKIE_NAME].value, "csrftoken": CSRF_TOKEN}


@pytest.fixture
def connection_kept_open():
    """The WSGI application closes the database connection after each request; the test's transaction needs it
    (Django's own test client does the same)."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _schema() -> Any:
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


@pytest.mark.parametrize("role", ["client", "reader"])
def test_every_api_operation_answers_as_its_schema_says(role, client_user, reader_user, connection_kept_open):
    user = {"client": client_user, "reader": reader_user}[role]
    cookies = _session_cookies(user)
    headers = {"X-CSRFToken": CSRF_TOKEN}
    # Agora configured (tokens are signed here, no network), so the token endpoints answer as in production.
    with override_settings(AGORA_APP_ID="a" * 32, AGORA_APP_CERTIFICATE="b" * 32):
        schema = _schema()
        operations = [result.ok() for result in schema.get_all_operations()]
        assert operations, "the schema lists no operation"
        failures: list[str] = []
        for operation in operations:

            @hypothesis_settings(
                max_examples=EXAMPLES_PER_OPERATION,
                derandomize=True,
                database=None,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy())
            def call(case: Any) -> None:
                response = case.call(cookies=cookies, headers=headers)
                case.validate_response(
                    response,
                    checks=[
                        not_a_server_error,
                        status_code_conformance,
                        content_type_conformance,
                        response_schema_conformance,
                    ],
                )

            try:
                call()
            except BaseException as error:  # hypothesis raises schemathesis' group of failures
                if isinstance(error, KeyboardInterrupt):
                    raise
                failures.append(f"{operation.method.upper()} {operation.path}: {error}")
    assert failures == [], "\n\n".join(failures)
