"""The JSON API's object-level checks: the object is named in the POST body, not the URL, so the URL matrix
(``tests/security/test_access_matrix.py``) cannot reach it. For every registered Agora access check, each API
endpoint that takes a room (token, token renewal, connection report) is POSTed the room of an object as each
user who is not its party (other clients and readers, an admin), who gets 404; its party does not.

A new access check (``register_access_check``) fails ``test_every_access_check_has_an_object_here`` until it
names its object and parties in ``ROOMS``.
"""

from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from apps.rtc.access import registered_uses
from tests.security.test_access_matrix import world as world  # the fixture

pytestmark = pytest.mark.django_db

ENDPOINTS = ["rtc_api:token", "rtc_api:token-renew", "rtc_api:presence"]
# use -> (object of the matrix world whose pk is the room's object id, or a literal id; the parties' names)
ROOMS: dict[str, tuple[str, tuple[str, ...]]] = {
    "session": ("reading", ("client", "reader")),
    "reading_chat": ("reading", ("client", "reader")),
    "conversation": ("conversation", ("client", "reader")),
    "stream": ("private_stream", ("client", "reader")),
    "diagnostics": ("=voice-check", ("admin",)),
}


def test_every_access_check_has_an_object_here():
    assert sorted(ROOMS) == registered_uses()


def _body(endpoint: str, use: str, object_id: str) -> dict[str, Any]:
    body: dict[str, Any] = {"use": use, "object_id": object_id}
    if endpoint == "rtc_api:presence":
        body["state"] = "CONNECTED"
    return body


def _post(browser: Client, endpoint: str, use: str, object_id: str) -> Any:
    return browser.post(reverse(endpoint), _body(endpoint, use, object_id), content_type="application/json")


@override_settings(AGORA_APP_ID="a" * 32, AGORA_APP_CERTIFICATE="b" * 32)
def test_api_rooms_of_someone_elses_object_answer_404(world):
    people = {**world["users"], "admin": world["admin"]}
    problems = []
    for use, (obj, parties) in ROOMS.items():
        object_id = obj[1:] if obj.startswith("=") else str(world["objects"][obj].pk)
        for endpoint in ENDPOINTS:
            for who, user in people.items():
                browser = Client()
                browser.force_login(user)
                response = browser.post(
                    reverse(endpoint), _body(endpoint, use, object_id), content_type="application/json"
                )
                party = who in parties
                if response.status_code >= 500 or (response.status_code == 404) == party:
                    problems.append(
                        f"{endpoint} {use}/{object_id} as {who}: {response.status_code} {response.content[:120]}"
                    )
            anonymous = Client().post(
                reverse(endpoint), _body(endpoint, use, object_id), content_type="application/json"
            )
            if anonymous.status_code not in (401, 403):
                problems.append(f"{endpoint} {use}/{object_id} anonymously: {anonymous.status_code}")
    assert problems == [], "\n".join(problems)
