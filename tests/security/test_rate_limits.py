"""Every endpoint where someone creates something is rate limited, and answers 429 with a clear message past it.

The URL resolver is walked: a view that takes POST (or PUT, PATCH, DELETE) must declare its limit with
``@rate_limited(scope, what=...)`` (``apps/core/ratelimit.py``, limits in ``settings.RATE_LIMITS``), throttle
through REST framework, be one whose service enforces a limit (``LIMITED_IN_SERVICE``), be an admin or
moderator page or a signed webhook, or say in ``CREATES_NOTHING`` why it needs none. A new view that takes POST fails
``test_every_view_taking_post_declares_its_rate_limit`` until one of these is true.

Then each declared limit is lowered to one attempt an hour and every such view is posted to twice: the second
answer is 429 with the limit's message, as a page, as an HTMX partial and as JSON.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import get_resolver, reverse

from apps.core.ratelimit import RateLimit, rate_limit_parse, rate_limited, view_rate_limit_scope

# ``world``: the access matrix's users of each role and one object of each kind.
from tests.security.test_access_matrix import RULES, _callbacks, _our_routes, _url, world  # noqa: F401

pytestmark = pytest.mark.django_db

# Limits a service checks itself (the service is where the count belongs: a message can be sent from several
# views and the API), each proven by its app's tests.
LIMITED_IN_SERVICE = {
    "messaging:conversation": "messaging.services (10 messages a minute): apps/messaging/tests/test_services_send.py",
    "messaging:start": "messaging.services (10 messages a minute): apps/messaging/tests/test_views.py",
    "moderation:report": "moderation.services.report_create (5 reports a minute): apps/moderation/tests",
    "pages:contact": "pages.services.support_ticket_open (5 an hour per address and person): apps/pages/tests",
    "scheduling:confirm": "scheduling.services.booking (10 bookings an hour): apps/scheduling/tests",
    "readings:chat": "readings.services.chat (20 lines in 10 seconds): apps/readings/tests/test_views.py",
    "live:chat": "live.services.chat (10 lines a minute): apps/live/tests",
    "privacy:export": "privacy.services.export_request (3 a day): apps/privacy/tests/test_services_export.py",
    "privacy:delete": "privacy.services.deletion_request (5 a day): apps/privacy/tests",
    "community:thread_new": "community.services (10 posts a minute, fewer for new accounts): apps/community/tests",
    "community:reply": "community.services (10 posts a minute, fewer for new accounts): apps/community/tests",
    "community:post_edit": "community.services (edits count as posts): apps/community/tests",
}

# Views that take POST but create nothing a person could pile up: state changes of one existing object,
# heartbeats the page sends on a timer, toggles of the viewer's own preferences.
CREATES_NOTHING = {
    "accounts:theme": "stores the viewer's light or dark preference",
    "accounts:timezone_detect": "stores the viewer's time zone once",
    "notifications:mark_read": "marks one of the viewer's notifications read",
    "notifications:mark_all_read": "marks the viewer's notifications read",
    "messaging:block": "blocks or unblocks one conversation",
    "readers:presence_set": "the reader's own online status",
    "readers:presence_heartbeat": "a timer of the reader's dashboard",
    "readers:publish": "publishes the reader's one profile",
    "readers:dashboard_profile": "edits the reader's one profile",
    "readings:accept": "a transition of one reading",
    "readings:decline": "a transition of one reading",
    "readings:end": "a transition of one reading",
    "readings:heartbeat": "a timer of the reading room",
    "live:start": "a transition of one stream",
    "live:end": "a transition of one stream",
    "live:heartbeat": "a timer of the stream page (one viewer row per person and stream)",
    "live:invite_revoke": "removes an invitation",
    "live:viewer_remove": "removes a viewer",
    "scheduling:settings_save": "edits the reader's one booking settings row",
    "scheduling:window_remove": "removes one of the reader's rows",
    "scheduling:exception_remove": "removes one of the reader's rows",
    "scheduling:block_remove": "removes one of the reader's rows",
    "scheduling_manage:cancel": "a transition of one booking",
    "scheduling_join:join": "opens the booked reading's one room (idempotent per booking)",
    "privacy:delete_confirm": "a transition of the viewer's one deletion request",
    "privacy:delete_cancel": "a transition of the viewer's one deletion request",
    "community:follow": "follows or stops following one thread (one row per person and thread)",
    "community:unsubscribe": "removes one follow, from the signed link of an email",
    "community:moderate": "a moderator pins, unpins, locks or unlocks one thread (audited)",
}

UNSAFE = ("post", "put", "patch", "delete")


def _takes_unsafe_method(view: Any) -> bool:
    cls = getattr(view, "view_class", None) or getattr(view, "cls", None)
    if cls is not None:
        return any(hasattr(cls, method) for method in UNSAFE) or hasattr(cls, "create")
    try:
        source = inspect.getsource(inspect.unwrap(view))
    except (OSError, TypeError):
        return True  # unknown: make someone look
    return "POST" in source or "require_POST" in source


def _throttled(view: Any) -> bool:
    cls = getattr(view, "view_class", None) or getattr(view, "cls", None)
    return bool(getattr(cls, "throttle_classes", None))


def test_every_view_taking_post_declares_its_rate_limit():
    # given
    callbacks = _callbacks(get_resolver().url_patterns)
    routes = _our_routes()
    # when
    undeclared = sorted(
        name
        for name in routes
        if _takes_unsafe_method(callbacks[name])
        and not view_rate_limit_scope(callbacks[name])
        and not _throttled(callbacks[name])
        and name not in LIMITED_IN_SERVICE
        and name not in CREATES_NOTHING
        and not (
            name in RULES and RULES[name].who in ("staff", "moderator", "exempt")
        )  # staff pages (audited), webhooks
    )
    # then
    assert undeclared == [], (
        "These views take POST but declare no rate limit: add @rate_limited(scope, what=...) with a limit in "
        "settings.RATE_LIMITS (docs/ARCHITECTURE.md), or say why not in tests/security/test_rate_limits.py: "
        + ", ".join(undeclared)
    )


def test_lists_of_views_without_a_decorator_name_existing_views_only():
    routes = _our_routes()
    callbacks = _callbacks(get_resolver().url_patterns)
    assert sorted(set(LIMITED_IN_SERVICE) - set(routes)) == []
    assert sorted(set(CREATES_NOTHING) - set(routes)) == []
    assert [name for name in CREATES_NOTHING if view_rate_limit_scope(callbacks[name])] == []


def _declared() -> dict[str, str]:
    callbacks = _callbacks(get_resolver().url_patterns)
    return {name: scope for name in _our_routes() if (scope := view_rate_limit_scope(callbacks[name]))}


def test_declared_limits_cover_the_create_endpoints():
    assert _declared() == {
        "accounts:settings": "accounts.settings",
        "accounts:reader_application": "accounts.reader_application",
        "readers:favorite": "readers.favorite",
        "readers:online_alert": "readers.online_alert",
        "readings:start": "readings.request",
        "readings:note": "readings.note",
        "readings:review": "readings.review",
        "readings:reply": "readings.review_reply",
        "messaging:unlock": "messaging.unlock",
        "live:studio": "live.stream",
        "live:invite": "live.invite",
        "live:ticket": "live.ticket",
        "live:gift": "live.gift",
        "live:gift_topup": "wallet.topup",
        "wallet:topup": "wallet.topup",
        "payouts:onboard": "payouts.onboard",
        "payouts:request": "payouts.request",
        "scheduling:window_add": "scheduling.availability",
        "scheduling:exception_add": "scheduling.availability",
        "scheduling:block_add": "scheduling.availability",
        "scheduling_manage:reschedule": "scheduling.reschedule",
        "shop:cart_add": "shop.cart",
        "shop:cart_update": "shop.cart",
        "shop:checkout": "shop.checkout",
        "shop:download_link": "shop.download_link",
    }


def _poster(name: str, objects: dict[str, Any]) -> Any:
    rule = RULES[name]
    users = objects["users"]
    if rule.who == "owner":
        return objects["parties"][rule.obj][0]
    if rule.who == "reader":
        return users["reader"]
    return users["client"]


def test_each_rate_limited_view_answers_429_past_its_limit_as_page_htmx_and_json(world, settings):  # noqa: F811
    # given: every declared limit lowered to one attempt an hour
    settings.RATE_LIMITS = dict.fromkeys(settings.RATE_LIMITS, "1/h")
    problems = []
    for name, scope in _declared().items():
        url = _url(name, RULES[name], world)
        browser = Client()
        browser.force_login(_poster(name, world))
        # when: the first attempt (valid or not, it takes the one slot) and three more
        first = browser.post(url)
        page = browser.post(url)
        partial = browser.post(url, HTTP_HX_REQUEST="true")
        api = browser.post(url, HTTP_ACCEPT="application/json")
        # then
        if first.status_code >= 500:
            problems.append(f"{name}: first attempt answered {first.status_code}")
        limit_message = "You have reached the limit of 1 "
        if page.status_code != 429 or limit_message not in page.content.decode():
            problems.append(f"{name} ({scope}) page: {page.status_code}")
        if partial.status_code != 429 or partial.get("HX-Retarget") != "#error-region":
            problems.append(f"{name} ({scope}) htmx: {partial.status_code} {partial.get('HX-Retarget')}")
        elif limit_message not in partial.content.decode():
            problems.append(f"{name} ({scope}) htmx: no message")
        if api.status_code != 429 or api.json().get("code") != "RateLimitedError":
            problems.append(f"{name} ({scope}) json: {api.status_code}")
        elif not api.json()["detail"].startswith(limit_message) or "an hour" not in api.json()["detail"]:
            problems.append(f"{name} ({scope}) json: {api.json()['detail']}")
    assert problems == [], "\n".join(problems)


def test_refused_attempt_writes_nothing_and_reading_the_page_uses_no_slot(settings):
    # given
    from apps.accounts.tests.factories import UserFactory
    from apps.readers.models import Favorite
    from apps.readers.tests.factories import ReaderProfileFactory

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "readers.favorite": "1/h"}
    user = UserFactory()
    first, second = ReaderProfileFactory(), ReaderProfileFactory()
    browser = Client()
    browser.force_login(user)
    assert browser.get(reverse("readers:profile", args=[first.pk])).status_code == 200
    # when
    accepted = browser.post(reverse("readers:favorite", args=[first.pk]), {"favorite": "1"})
    refused = browser.post(reverse("readers:favorite", args=[second.pk]), {"favorite": "1"})
    # then
    assert accepted.status_code == 302
    assert refused.status_code == 429
    assert "You have reached the limit of 1 favorite changes an hour." in refused.content.decode()
    assert list(Favorite.objects.filter(user=user).values_list("reader_id", flat=True)) == [first.pk]


def test_visitors_are_counted_by_client_address(settings, rf):
    # given
    from django.contrib.auth.models import AnonymousUser

    from apps.core.exceptions import RateLimitedError

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "readers.favorite": "1/h"}
    view = rate_limited("readers.favorite", what="favorite changes")(lambda request: "done")

    def post(address: str) -> Any:
        request = rf.post("/", REMOTE_ADDR=address)
        request.user = AnonymousUser()
        return view(request)

    # when / then
    assert post("203.0.113.1") == "done"
    assert post("203.0.113.2") == "done"
    with pytest.raises(RateLimitedError):
        post("203.0.113.1")


@pytest.mark.parametrize(
    ("value", "expected", "period"),
    [
        ("10/h", RateLimit(10, 3600), "an hour"),
        ("5/10m", RateLimit(5, 600), "every 10 minutes"),
        ("60/m", RateLimit(60, 60), "a minute"),
        ("5/d", RateLimit(5, 86400), "a day"),
        ("3/2h", RateLimit(3, 7200), "every 2 hours"),
    ],
)
def test_rate_limit_parse_reads_count_and_window(value, expected, period):
    assert rate_limit_parse(value) == expected
    assert expected.period == period


@pytest.mark.parametrize("value", ["10", "10/x", "0/h", "ten/h", "10/0m", ""])
def test_rate_limit_parse_refuses_a_malformed_limit(value):
    with pytest.raises(ImproperlyConfigured):
        rate_limit_parse(value)


def test_rate_limited_with_an_unknown_scope_is_refused_at_import():
    with pytest.raises(ImproperlyConfigured, match=r"no limit for 'nope\.nothing'"):
        rate_limited("nope.nothing", what="things")


def test_every_configured_limit_parses(settings):
    assert all(rate_limit_parse(value).limit >= 1 for value in settings.RATE_LIMITS.values())
    assert set(_declared().values()) <= set(settings.RATE_LIMITS)
