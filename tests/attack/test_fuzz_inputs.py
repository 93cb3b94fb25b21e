"""Every URL of the site, from the URL resolver, fed the input that broke pages when tried by hand.

First, each URL is POSTed without a CSRF token by a user its access rule lets in, and must answer 403. Then
each route is requested plainly (GET and POST) while every query-string and form key the view reads is
recorded; those keys, and a few every list page reads (``q``, ``after``, ``page``...), are sent with each
hostile value below, and JSON bodies of the wrong shape and depth are POSTed. Whatever a view does with them,
it never answers 5xx: a value it cannot use is ignored or refused with a 4xx. The signed webhooks get bodies
signed exactly as their providers sign them, with wrong types and oversized fields, and must answer 400.

A new app's URLs are fuzzed as soon as they exist: the routes come from the resolver and the rules (who may
use each URL) from ``tests/security/test_access_matrix.py``, where every URL must have one already.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.http import QueryDict
from django.test import Client, override_settings
from django.urls import get_resolver, reverse

from tests.security.test_access_matrix import RULES, SignedInClients, _url, _walk
from tests.security.test_access_matrix import world as world  # the fixture

pytestmark = pytest.mark.django_db

# What broke things by hand: Unicode digits (str.isdigit() accepts them, int() refuses "²"), NUL, empty and
# one-character searches, huge values, negative and overflowing numbers.
HOSTILE_VALUES = ["²", "\x00", "", "a", "x" * 10_000, "-1", "9999999999999999999999"]
# Keys most list and search pages read; sent to every URL besides the ones its view was seen reading.
COMMON_KEYS = {"q", "after", "before", "ids", "id", "page", "cursor", "since", "period", "from", "to", "next", "tab"}
# Form values for POSTs with the keys the view reads: the ones that overflow or confuse number parsing.
FORM_VALUES = ["²", "x" * 10_000, "9999999999999999999999"]


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


JSON_BODIES = [_nested(5_000), '{"a":' * 5_000 + "1" + "}" * 5_000, "[]", "{"]
WRONG_TYPES: list[Any] = [["x"], 10**30, None, "x" * 10_000]

SKIPPED_PREFIXES = ("admin/", "static/", "media/", "__debug__/")
# Signed with a secret the test settings leave unset (so they answer 503); fuzzed with their secrets below.
WEBHOOKS = {"wallet:stripe_webhook", "payouts:stripe_connect_webhook", "rtc:ncs-webhook"}
# allauth's own flows are fuzzed too (the headless API recursed on deep JSON); their URL keys get placeholders.
PLACEHOLDERS = {"int": "1", "str": "abc", "slug": "abc", "path": "abc", "uuid": "00000000-0000-0000-0000-000000000000"}


@contextlib.contextmanager
def keys_read() -> Iterator[set[str]]:
    """The keys any view reads from a QueryDict (``request.GET`` / ``request.POST``) while the block runs."""
    seen: set[str] = set()
    names = ("get", "getlist", "__getitem__", "__contains__")
    assert not any(name in QueryDict.__dict__ for name in names)  # inherited, so patched on QueryDict and removed

    def recording(original: Any) -> Any:
        def method(self: QueryDict, key: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(key, str):
                seen.add(key)
            return original(self, key, *args, **kwargs)

        return method

    for name in names:
        setattr(QueryDict, name, recording(getattr(QueryDict, name)))
    try:
        yield seen
    finally:
        for name in names:
            delattr(QueryDict, name)


def _placeholder_url(route: str) -> str:
    def replace(match: re.Match[str]) -> str:
        converter = match.group(1) or "str"
        return PLACEHOLDERS.get(converter, "abc")

    path = re.sub(r"<(?:(\w+):)?\w+>", replace, route)
    return "/" + path.lstrip("^").rstrip("$")


def _targets(world: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """Each route as (name, URL, the user to send): a user its rule lets in, so the view gets past its checks."""
    users = world["users"]
    targets = []
    for name, route in _walk(get_resolver().url_patterns):
        if route.startswith(SKIPPED_PREFIXES) or "(?P<" in route or name in WEBHOOKS:
            continue
        rule = RULES.get(name)
        if rule is None or rule.who == "exempt":
            user = None if name.startswith(("account_", "mfa_", "headless:")) else users["client"]
            try:
                url = reverse(name) if "<" not in route else _placeholder_url(route)
            except Exception:  # a route whose arguments only its app knows; its placeholder URL then
                url = _placeholder_url(route)
        else:
            url = _url(name, rule, world)
            if rule.who == "owner":
                user = world["parties"][rule.obj][0]
            elif rule.who == "staff":
                user = world["admin"]
            elif rule.who == "reader":
                user = users["reader"]
            else:
                user = users["client"]
        targets.append((name, url, user))
    return targets


def _browser(user: Any) -> Client:
    browser = Client()
    if user is not None:
        browser.force_login(user)
    return browser


def _send(problems: list[str], label: str, call: Any) -> Any:
    try:
        response = call()
    except Exception as error:  # the view raised: a 500 in production
        problems.append(f"{label}: raised {type(error).__name__}: {str(error)[:200]}")
        return None
    if response.status_code >= 500:
        problems.append(f"{label}: answered {response.status_code}")
    return response


@pytest.mark.slow
def test_no_url_answers_5xx_to_hostile_query_strings_forms_and_json(world):
    # One world for both checks (building it costs seconds): CSRF first, while every object is as built.
    # The CSRF checks' POSTs are refused before any view runs, so their clients share each user's sign-in.
    signed_in = SignedInClients(enforce_csrf_checks=True)
    csrf_refusals_missing = [
        problem for name, url, user in _targets(world) for problem in _csrf(name, url, signed_in(user))
    ]
    problems: list[str] = []
    for name, url, user in _targets(world):
        problems += _fuzz(name, url, _browser(user))
    assert problems == [], "\n".join(problems)
    assert csrf_refusals_missing == [], "POSTs without a CSRF token that were not refused:\n" + "\n".join(
        csrf_refusals_missing
    )


def _csrf(name: str, url: str, browser: Client) -> list[str]:
    """CSRF is enforced on every state-changing view: a POST without a token, from a user the URL's rule lets
    in (``browser`` is signed in as them), answers 403. Only the providers' signed webhooks (and allauth's
    headless API, which authenticates apps by a session token header) take a POST without one."""
    if name.startswith("headless:"):
        return []
    response = browser.post(url, {"anything": "1"})
    if response.status_code == 403:
        return []
    user = response.wsgi_request.user
    return [f"{name} ({url}) as {user.role if user.is_authenticated else 'anonymous'}: {response.status_code}"]


def _fuzz(name: str, url: str, browser: Client) -> list[str]:
    problems: list[str] = []
    with keys_read() as get_keys:
        plain_get = _send(problems, f"{name} GET {url}", lambda: browser.get(url))
    with keys_read() as post_keys:
        plain_post = _send(problems, f"{name} POST {url}", lambda: browser.post(url))
    # A view that refuses GET (405) is never reached by a query string: only the middleware reads one there,
    # and every other URL sends it the same keys.
    for value in HOSTILE_VALUES if plain_get is None or plain_get.status_code != 405 else []:
        query = dict.fromkeys(sorted(get_keys | COMMON_KEYS), value)
        _send(problems, f"{name} GET {url} with {value[:12]!r}", lambda q=query: browser.get(url, q))
    if plain_post is None or plain_post.status_code == 405:
        return problems
    keys = sorted(post_keys - {"csrfmiddlewaretoken"})
    for value in FORM_VALUES if keys else []:
        form = dict.fromkeys(keys, value)
        _send(problems, f"{name} POST form {keys} = {value[:12]!r}", lambda f=form: browser.post(url, f))
    for body in JSON_BODIES + [json.dumps(dict.fromkeys(keys or ["id"], wrong)) for wrong in WRONG_TYPES]:
        label = f"{name} POST JSON {body[:20]!r}"
        _send(problems, label, lambda b=body: browser.post(url, b, content_type="application/json"))
    return problems


# --- Signed webhooks: a valid signature over a body of the wrong shape ---------------------------------------


def _post(client: Client, event: dict[str, Any], *, secret: str, path: str) -> Any:
    from apps.wallet.tests.stripe_server import webhook_post

    return webhook_post(client, event, secret=secret, path=path)


def _stripe_event(**overrides: Any) -> dict[str, Any]:
    event = {
        "id": "evt_fuzz_1",
        "object": "event",
        "type": "checkout.session.completed",
        "created": 1_700_000_000,
        "data": {"object": {"object": "checkout.session", "id": "cs_fuzz", "metadata": {"purpose": "topup"}}},
    }
    event.update(overrides)
    return event


BAD_STRIPE_EVENTS = [
    _stripe_event(id=["evt_list"]),
    _stripe_event(id={"nested": "evt"}),
    _stripe_event(id=12345),
    _stripe_event(id=True),
    _stripe_event(id="evt_" + "x" * 10_000),
    _stripe_event(id="evt_nul\x00"),
    _stripe_event(type=["checkout.session.completed"]),
    _stripe_event(type="t" * 10_000),
    _stripe_event(type=None),
    _stripe_event(created="yesterday"),
    _stripe_event(created=10**30),
    _stripe_event(created=-(10**30)),
    _stripe_event(created=[1]),
    _stripe_event(created=1e308),
    _stripe_event(data="not an object"),
    _stripe_event(data={"object": ["x"]}),
    _stripe_event(livemode="x" * 10_000),
]


@pytest.mark.parametrize(
    ("path", "setting", "secret_name"),
    [
        ("/wallet/stripe/webhook/", "STRIPE_WEBHOOK_SECRET", "WEBHOOK_SECRET"),
        ("/payouts/stripe/connect-webhook/", "STRIPE_CONNECT_WEBHOOK_SECRET", "CONNECT_WEBHOOK_SECRET"),
    ],
)
def test_signed_stripe_webhooks_refuse_events_of_the_wrong_shape_with_400(client, path, setting, secret_name):
    from apps.wallet.models import StripeEvent
    from apps.wallet.tests import stripe_server

    secret = getattr(stripe_server, secret_name)
    problems = []
    with override_settings(STRIPE_SECRET_KEY=stripe_server.API_KEY, **{setting: secret}):
        for event in BAD_STRIPE_EVENTS:
            label = json.dumps({key: value for key, value in event.items() if value != _stripe_event().get(key)})[:90]
            response = _send(problems, label, lambda e=event: _post(client, e, secret=secret, path=path))
            if response is not None and response.status_code != 400:
                problems.append(f"{label}: answered {response.status_code}, not 400")
        # A well-formed event still goes through: the refusals above are about shape, not the endpoint.
        assert stripe_server.webhook_post(client, _stripe_event(), secret=secret, path=path).status_code == 200
    assert problems == [], "\n".join(problems)
    assert list(StripeEvent.objects.values_list("stripe_event_id", flat=True)) == ["evt_fuzz_1"]


NCS_SECRET = "ncs-fuzz-secret"


def _ncs_notice(**overrides: Any) -> dict[str, Any]:
    notice = {
        "noticeId": "notice-fuzz-1",
        "productId": 1,
        "eventType": 103,
        "notifyMs": 1_700_000_000_000,
        "payload": {"channelName": "reading_1", "uid": 7, "clientSeq": 1, "ts": 1_700_000_000},
    }
    notice.update(overrides)
    return notice


BAD_NCS_NOTICES = [
    _ncs_notice(noticeId=["x"]),
    _ncs_notice(noticeId=12),
    _ncs_notice(noticeId="n\x00"),
    _ncs_notice(productId=10**30),
    _ncs_notice(productId="9999999999999999999999"),
    _ncs_notice(productId=-5),
    _ncs_notice(eventType=10**30),
    _ncs_notice(eventType=-1),
    _ncs_notice(eventType="²"),
    _ncs_notice(notifyMs=10**30),
    _ncs_notice(notifyMs=1.5),
    _ncs_notice(payload="x"),
    _ncs_notice(payload={"channelName": "reading_1", "uid": 10**30, "clientSeq": 1}),
    _ncs_notice(payload={"channelName": "reading_1", "uid": 7, "clientSeq": 10**30}),
    _ncs_notice(payload={"channelName": ["x"], "uid": 7, "clientSeq": 1}),
    _ncs_notice(payload={"channelName": "c\x00", "uid": 7, "clientSeq": 1}),
]


def test_signed_agora_notifications_of_the_wrong_shape_answer_400(client):
    from apps.rtc.models import NcsEvent

    problems = []
    with override_settings(AGORA_NCS_SECRET=NCS_SECRET, AGORA_APP_ID="a" * 32, AGORA_APP_CERTIFICATE="b" * 32):
        for notice in BAD_NCS_NOTICES:
            body = json.dumps(notice)
            signature = hmac.new(NCS_SECRET.encode(), body.encode(), hashlib.sha256).hexdigest()
            label = json.dumps({key: value for key, value in notice.items() if value != _ncs_notice()[key]})[:90]
            response = _send(
                problems,
                label,
                lambda b=body, s=signature: client.post(
                    "/rtc/ncs/", b, content_type="application/json", HTTP_AGORA_SIGNATURE_V2=s
                ),
            )
            if response is not None and response.status_code != 400:
                problems.append(f"{label}: answered {response.status_code}, not 400")
    assert problems == [], "\n".join(problems)
    assert not NcsEvent.objects.exists()
