"""Input that used to end in a server error gets a clear 400 (or is ignored where it is only a hint)."""

import json
import re

import pytest
from django.urls import reverse

from apps.accounts.tests.factories import UserFactory
from apps.core.middleware import MAX_JSON_DEPTH, json_depth
from apps.core.parsing import MAX_ID, id_or_none, ids_from_csv, json_contains_nul
from apps.readers.tests.factories import ReaderProfileFactory

pytestmark = pytest.mark.django_db

DEEP = "[" * 5000 + "]" * 5000


@pytest.mark.parametrize("url", ["/help/?q=%00", "/readers/?q=a%00b", "/messages/search/?q=%00", "/?x%00=1"])
def test_query_string_with_a_nul_character_answers_400_with_a_clear_message(client, url):
    # given
    client.force_login(UserFactory())
    # when
    response = client.get(url)
    # then
    assert response.status_code == 400
    assert "not allowed (NUL)" in response.content.decode()


@pytest.mark.parametrize(
    "url",
    ["/api/v1/rtc/token/", "/api/v1/rtc/presence/", "/_allauth/app/v1/auth/login", "/_allauth/app/v1/auth/signup"],
)
def test_json_body_nested_5000_deep_answers_400_json_before_any_parser_recurses(client, url):
    # given
    client.force_login(UserFactory())
    # when
    response = client.post(url, DEEP, content_type="application/json")
    # then
    assert response.status_code == 400
    assert response.json() == {
        "detail": f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels.",
        "code": "invalid_request",
    }


def test_json_body_within_the_depth_still_reaches_the_view(client):
    # given: a body the token endpoint refuses for its own reasons, nested as deep as allowed
    client.force_login(UserFactory())
    body = {
        "use": "reading",
        "object_id": "1",
        "extra": json.loads("[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)),
    }
    # when
    response = client.post("/api/v1/rtc/token/", json.dumps(body), content_type="application/json")
    # then: the view answered (not the guard)
    assert "nests deeper" not in response.content.decode()


def test_json_depth_ignores_brackets_inside_strings():
    # given / when / then
    assert json_depth(b'{"a": "[[[[{{{{", "b": [1, [2, {"c": "]]]\\"[["}]]}') == 4
    assert json_depth(b"[]") == 1 and json_depth(b'"[["') == 0 and json_depth(DEEP.encode()) == 5000


@pytest.mark.parametrize("ids", ["²", "1,²,3", "99999999999999999999999", "-1", "0", "٣", "1e3"])
def test_presence_with_ids_that_are_not_database_ids_ignores_them(client, ids):
    # given
    reader = ReaderProfileFactory()
    # when
    response = client.get(reverse("readers:presence"), {"ids": f"{ids},{reader.pk}"})
    # then
    assert response.status_code == 200
    # then: exactly the one real reader's badge comes back
    assert re.findall(r'id="presence-(\d+)"', response.content.decode()) == [str(reader.pk)]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("42", 42),
        (" 7 ", 7),
        ("²", None),
        ("٣", None),
        ("", None),
        (None, None),
        ("0", None),
        ("-3", None),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
        ("9" * 40, None),
        (12, 12),
        ("1.0", None),
    ],
)
def test_id_or_none_accepts_only_ascii_digits_within_bigint(value, expected):
    assert id_or_none(value) == expected


def test_ids_from_csv_keeps_the_valid_ids_and_caps_their_number():
    assert ids_from_csv("3,²,x,,5") == [3, 5]
    assert len(ids_from_csv(",".join(["1"] * 500))) == 200


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"a": ["b", {"c": "d"}]}, False),
        ({"a": ["b", {"c": "d\x00"}]}, True),
        ({"a\x00": 1}, True),
        (["\x00"], True),
        ("plain", False),
        (12, False),
        (None, False),
    ],
)
def test_json_contains_nul_finds_a_nul_in_any_key_or_string(value, expected):
    assert json_contains_nul(value) is expected
