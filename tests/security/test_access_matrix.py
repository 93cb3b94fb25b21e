"""Who may use which URL: every route of the site, from the URL resolver, against a stated rule.

Each URL name has an entry in ``RULES`` saying who may use it. A new URL without an entry fails
``test_every_url_has_an_access_rule`` until someone states who may use it. For each rule the matrix requests
the URL anonymously, as a client, as a reader and as an admin (and, for an object, as its owner and as a
stranger of each role), with GET and with POST, and checks the answer:

- someone else's object answers 404 (never leaking that it exists) and changes nothing;
- an admin page answers 404 to everyone but admins;
- a signed-in page sends anonymous visitors to sign in.

Django's test client skips CSRF checks, so a POST here stands for a POST with a valid token: the view's
own permission checks are what is tested. (CSRF itself is enforced by the middleware for every view that is
not exempt; ``test_csrf_exempt_views_are_the_signed_webhooks_only`` lists the exempt ones.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta
from decimal import Decimal
from importlib import import_module
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

# Part of the attack suite (``pytest -m attack``), like everything under tests/attack/.
pytestmark = [pytest.mark.django_db, pytest.mark.attack]

LOGIN = "/accounts/login/"


@dataclass(frozen=True)
class Rule:
    """Who may use a URL.

    ``who``: "public" (anyone), "signed_in", "reader" (readers only; others 404), "staff" (admins only;
    others 404), "moderator" (admins and users given the moderator role; others 404), "owner" (the parties of
    the object named by ``obj``; everybody else 404), or "exempt"
    (not a page of ours to check this way, with the reason in ``why``).
    """

    who: str
    obj: str = ""
    why: str = ""
    kwargs: dict[str, str] = field(default_factory=dict)


PUBLIC = Rule("public")
SIGNED_IN = Rule("signed_in")
READER = Rule("reader")
STAFF = Rule("staff")
MODERATOR = Rule("moderator")


def owner(obj: str, **kwargs: str) -> Rule:
    return Rule("owner", obj=obj, kwargs=kwargs)


def staff_object(obj: str, **kwargs: str) -> Rule:
    return Rule("staff", obj=obj, kwargs=kwargs)


def moderator_object(obj: str, **kwargs: str) -> Rule:
    return Rule("moderator", obj=obj, kwargs=kwargs)


def exempt(why: str) -> Rule:
    return Rule("exempt", why=why)


ALLAUTH = exempt("allauth's own account, email, password and MFA flows (allauth's tests cover them)")

RULES: dict[str, Rule] = {
    # Public pages
    "core:healthz": PUBLIC,
    "pages:home": PUBLIC,
    "pages:about": PUBLIC,
    "pages:terms": PUBLIC,
    "pages:privacy": PUBLIC,
    "pages:refunds": PUBLIC,
    "pages:help": PUBLIC,
    "pages:help_article": Rule("public", obj="help_article", kwargs={"slug": "slug"}),
    "pages:contact": PUBLIC,
    "pages:contact_sent": PUBLIC,
    "accounts:theme": SIGNED_IN,
    "accounts:timezone_detect": SIGNED_IN,
    "readers:directory": PUBLIC,
    "readers:presence": PUBLIC,
    "live:home": PUBLIC,
    "shop:home": PUBLIC,
    "shop:product": Rule("public", obj="shop_product", kwargs={"pk": "pk"}),
    "community:home": PUBLIC,
    "community:search": PUBLIC,
    "community:category": Rule("public", obj="community_category", kwargs={"slug": "slug"}),
    "community:thread": Rule("public", obj="community_thread", kwargs={"pk": "pk"}),
    "community:post": Rule("public", obj="community_post", kwargs={"pk": "pk"}),
    "community:post_history": Rule("public", obj="community_post", kwargs={"pk": "pk"}),
    "community:unsubscribe": Rule("public", obj="community_unsubscribe", kwargs={"token": "token"}),
    "community:thread_new": Rule("signed_in", obj="community_category", kwargs={"slug": "slug"}),
    "community:reply": Rule("signed_in", obj="community_thread", kwargs={"pk": "pk"}),
    "community:follow": Rule("signed_in", obj="community_thread", kwargs={"pk": "pk"}),
    "live:profile_panel": Rule("public", obj="reader_profile", kwargs={"reader_id": "pk"}),
    "notifications:bell": Rule("public", why="the header's bell: an empty count for visitors"),
    "messaging:unread_badge": Rule("public", why="the header's badge: an empty count for visitors"),
    "readers:profile": Rule("public", obj="reader_profile", kwargs={"pk": "pk"}),
    "readings:reviews_panel": Rule("public", obj="reader_profile", kwargs={"reader_id": "pk"}),
    "scheduling:book": Rule("public", obj="reader_profile", kwargs={"reader_user_id": "user_id"}),
    "scheduling:book_slots": Rule("public", obj="reader_profile", kwargs={"reader_user_id": "user_id"}),
    "scheduling:profile_panel": Rule("public", obj="reader_profile", kwargs={"reader_user_id": "user_id"}),
    "api-schema": PUBLIC,
    "api-docs": PUBLIC,
    # Signed-in pages about the viewer's own things
    "accounts:settings": SIGNED_IN,
    "accounts:avatar": Rule("signed_in", why="the viewer's own avatar: 404 until they upload one"),
    "accounts:reader_application": SIGNED_IN,
    "privacy:export": SIGNED_IN,
    "privacy:export_download": Rule("signed_in", why="the viewer's own ready export: 404 until they have one"),
    "privacy:delete": SIGNED_IN,
    "privacy:delete_confirm": Rule(
        "signed_in", why="the emailed link: the viewer's own signed token, 400 without it, 404 for another's"
    ),
    "privacy:delete_cancel": SIGNED_IN,
    "dashboards:home": SIGNED_IN,
    "dashboards:client": SIGNED_IN,
    "wallet:topup": SIGNED_IN,
    "wallet:topup_success": Rule("signed_in", why="the viewer's own Checkout Session id in the query: 404 without it"),
    "wallet:topup_cancel": SIGNED_IN,
    "wallet:home": SIGNED_IN,
    "wallet:dashboard_panel": SIGNED_IN,
    "readers:favorites": SIGNED_IN,
    "readers:favorites_panel": SIGNED_IN,
    "readers:favorite": Rule("signed_in", obj="reader_profile", kwargs={"pk": "pk"}),
    "readers:online_alert": Rule("signed_in", obj="reader_profile", kwargs={"pk": "pk"}),
    "notifications:list": SIGNED_IN,
    "notifications:mark_all_read": SIGNED_IN,
    "messaging:inbox": SIGNED_IN,
    "messaging:search": SIGNED_IN,
    "messaging:find_reader": SIGNED_IN,
    "messaging:start": Rule("signed_in", obj="reader_profile", kwargs={"reader_pk": "pk"}),
    "readings:history": SIGNED_IN,
    "readings:recent_panel": SIGNED_IN,
    "readings:start_panel": Rule("public", obj="reader_profile", kwargs={"reader_id": "pk"}),
    "readings:start": Rule("signed_in", obj="reader_profile", kwargs={"reader_id": "pk"}),
    "scheduling_manage:client_list": SIGNED_IN,
    "scheduling_manage:client_panel": SIGNED_IN,
    "scheduling:confirm": Rule("signed_in", obj="reader_profile", kwargs={"reader_user_id": "user_id"}),
    "api-me": SIGNED_IN,
    # Readers only
    "dashboards:reader": READER,
    "readers:dashboard_profile": READER,
    "readers:dashboard_profile_panel": READER,
    "readers:presence_set": READER,
    "readers:presence_heartbeat": READER,
    "readers:publish": READER,
    "readings:incoming_panel": READER,
    "scheduling_manage:reader_list": READER,
    "scheduling_manage:reader_panel": READER,
    "scheduling:availability": READER,
    "scheduling:availability_panel": READER,
    "scheduling:settings_save": READER,
    "scheduling:window_add": READER,
    "scheduling:exception_add": READER,
    "scheduling:block_add": READER,
    "live:studio": READER,
    "live:studio_panel": READER,
    "wallet:earnings_panel": READER,
    "analytics:reader": READER,
    "analytics:reader_export": READER,
    # Objects: only their parties
    "accounts:reader_application_photo": owner("application", application_id="pk"),
    "wallet:transaction_detail": owner("wallet_transaction", transaction_id="pk"),
    "core:file_download": owner("file_link", token="token"),
    "notifications:mark_read": owner("notification", pk="pk"),
    "messaging:conversation": owner("conversation", pk="pk"),
    "messaging:older": owner("conversation", pk="pk"),
    "messaging:poll": owner("conversation", pk="pk"),
    "messaging:block": owner("conversation", pk="pk"),
    "messaging:unlock": owner("paid_reply", message_pk="pk"),
    "readings:room": owner("reading", pk="pk"),
    "readings:status": owner("reading", pk="pk"),
    "readings:heartbeat": owner("reading", pk="pk"),
    "readings:accept": owner("reading", pk="pk"),
    "readings:decline": owner("reading", pk="pk"),
    "readings:end": owner("reading", pk="pk"),
    "readings:chat": owner("reading", pk="pk"),
    "readings:summary": owner("reading", pk="pk"),
    "readings:receipt": owner("reading", pk="pk"),
    "readings:transcript": owner("reading", pk="pk"),
    "readings:note": owner("reading", pk="pk"),
    "readings:review": owner("reading", pk="pk"),
    "readings:reply": owner("reading", pk="pk"),
    "scheduling_manage:detail": owner("booking", pk="pk"),
    "scheduling_manage:cancel": owner("booking", pk="pk"),
    "scheduling_manage:reschedule": owner("booking", pk="pk"),
    "scheduling_join:page": owner("booking", pk="pk"),
    "scheduling_join:panel": owner("booking", pk="pk"),
    "scheduling_join:join": owner("booking", pk="pk"),
    "moderation:report": owner("reportable_message", type_key="type_key", object_id="pk"),
    "scheduling:booked": owner("booking", booking_id="pk"),
    "scheduling:window_remove": owner("weekly_window", window_id="pk"),
    "scheduling:exception_remove": owner("date_exception", exception_id="pk"),
    "scheduling:block_remove": owner("time_block", block_id="pk"),
    "community:post_edit": owner("community_post", pk="pk"),
    "community:moderate": moderator_object("community_thread", pk="pk"),
    "community:attachment": Rule("public", obj="community_attachment", kwargs={"pk": "pk"}),
    "live:stream": owner("private_stream", pk="pk"),
    "live:ticket": owner("private_stream", pk="pk"),
    "live:events": owner("private_stream", pk="pk"),
    "live:chat": owner("private_stream", pk="pk"),
    "live:gift": owner("private_stream", pk="pk"),
    "live:gift_topup": owner("private_stream", pk="pk"),
    "live:gift_topup_return": owner("private_stream", pk="pk"),
    "live:heartbeat": owner("private_stream", pk="pk"),
    "live:status": owner("private_stream", pk="pk"),
    "live:host": owner("hosted_stream", pk="pk"),
    "live:host_panel": owner("hosted_stream", pk="pk"),
    "live:start": owner("hosted_stream", pk="pk"),
    "live:end": owner("hosted_stream", pk="pk"),
    "live:invite": owner("hosted_stream", pk="pk"),
    "live:invite_revoke": owner("stream_invite", pk="stream_id", invite_pk="pk"),
    "live:viewer_remove": owner("stream_viewer", pk="stream_id", user_pk="user_id"),
    # Admin pages
    "dashboards:admin": STAFF,
    "staff_core:audit_log": STAFF,
    "staff_accounts:application_list": STAFF,
    "staff_accounts:application_detail": staff_object("application", application_id="pk"),
    "staff_accounts:application_photo": staff_object("application", application_id="pk"),
    "staff_accounts:application_approve": staff_object("application", application_id="pk"),
    "staff_accounts:application_reject": staff_object("application", application_id="pk"),
    "staff_accounts:user_list": STAFF,
    "staff_accounts:user_detail": staff_object("client", user_id="pk"),
    "staff_pages:ticket_list": STAFF,
    "staff_pages:ticket_panel": STAFF,
    "staff_pages:ticket_detail": staff_object("ticket", pk="pk"),
    "staff_pages:ticket_close": staff_object("ticket", pk="pk"),
    "staff_pages:ticket_reopen": staff_object("ticket", pk="pk"),
    "staff_wallet:refunds": STAFF,
    "staff_wallet:stripe_panel": STAFF,
    "staff_wallet:index": STAFF,
    "staff_wallet:ledger_check_run": STAFF,
    "staff_wallet:ledger_check_panel": STAFF,
    "staff_wallet:adjustment_new": STAFF,
    "staff_wallet:refund_new": staff_object("topup", topup_id="pk"),
    "staff_wallet:user_ledger": staff_object("client", user_id="pk"),
    "staff_wallet:wallet_freeze": staff_object("client", user_id="pk"),
    "staff_rtc:status": STAFF,
    "staff_rtc:test-room": STAFF,
    "staff_readers:reader_list": STAFF,
    "payouts:home": READER,
    "payouts:dashboard_panel": READER,
    "payouts:onboard": READER,
    "payouts:onboard_return": READER,
    "payouts:onboard_refresh": READER,
    "payouts:request": READER,
    "payouts:stripe_connect_webhook": exempt(
        "Stripe's signed Connect webhook: a bad signature answers 400 (apps/payouts/tests)"
    ),
    "staff_payouts:queue": STAFF,
    "staff_payouts:queue_panel": STAFF,
    "staff_payouts:pause": STAFF,
    "staff_payouts:reader": staff_object("reader_profile", reader_id="user_id"),
    "staff_payouts:reader_rate": staff_object("reader_profile", reader_id="user_id"),
    "staff_payouts:reader_kyc": staff_object("reader_profile", reader_id="user_id"),
    "staff_payouts:reader_hold": staff_object("reader_profile", reader_id="user_id"),
    "staff_readers:reader_detail": staff_object("reader_profile", reader_id="pk"),
    "staff_readers:taxonomy": staff_object("specialty", kind="=specialties"),
    "staff_readers:taxonomy_term": staff_object("specialty", kind="=specialties", term_id="pk"),
    "staff_readings:reviews": STAFF,
    "staff_scheduling:booking_list": STAFF,
    "staff_scheduling:no_shows": STAFF,
    "staff_scheduling:booking_detail": staff_object("booking", pk="pk"),
    "staff_scheduling:booking_cancel": staff_object("booking", pk="pk"),
    "moderation:queue": MODERATOR,
    "moderation:report_detail": moderator_object("report", pk="pk"),
    "moderation:content": moderator_object("reportable_message", type_key="type_key", object_id="pk"),
    "moderation:user": moderator_object("client", user_id="pk"),
    "staff_moderation:user": staff_object("client", user_id="pk"),
    "staff_analytics:index": STAFF,
    "staff_analytics:export": STAFF,
    "shop:cart": SIGNED_IN,
    "shop:cart_add": Rule("signed_in", obj="shop_product", kwargs={"pk": "pk"}),
    "shop:cart_update": Rule("signed_in", obj="shop_product", kwargs={"pk": "pk"}, why="the viewer's own cart line"),
    "shop:checkout": SIGNED_IN,
    "shop:orders": SIGNED_IN,
    "shop:order": owner("shop_order", pk="pk"),
    "shop:download_link": owner("shop_order_item", pk="order_id", item_pk="pk"),
    "staff_shop:products": STAFF,
    "staff_shop:products_sync": STAFF,
    "staff_shop:orders": STAFF,
    "staff_shop:order": staff_object("shop_order", pk="pk"),
    "staff_shop:order_ship": staff_object("shop_order", pk="pk"),
    "staff_shop:order_refund": staff_object("shop_order", pk="pk"),
    "staff_live:gifts": STAFF,
    "staff_live:gift_edit": staff_object("gift_kind", pk="pk"),
    "staff_community:categories": STAFF,
    "staff_community:category_edit": staff_object("community_category", pk="pk"),
    # Not pages: checked by their own tests
    "wallet:stripe_webhook": exempt("Stripe's signed webhook: a bad signature answers 400 (apps/wallet/tests)"),
    "rtc:ncs-webhook": exempt("Agora's signed NCS webhook: a bad signature answers 401 (apps/rtc/tests)"),
    "rtc_api:token": exempt("object named in the body: tests/attack/test_api_access.py, per access check"),
    "rtc_api:token-renew": exempt("object named in the body: tests/attack/test_api_access.py"),
    "rtc_api:presence": exempt("object named in the body: tests/attack/test_api_access.py"),
}


def _walk(patterns: list[Any], namespace: str = "", prefix: str = "") -> list[tuple[str, str]]:
    routes = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or ""
            full = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            routes += _walk(pattern.url_patterns, full, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and pattern.name:
            routes.append((f"{namespace}:{pattern.name}" if namespace else pattern.name, prefix + str(pattern.pattern)))
    return routes


def _our_routes() -> dict[str, str]:
    routes = {}
    for name, route in _walk(get_resolver().url_patterns):
        if route.startswith(("admin/", "_allauth/", "static/", "media/", "__debug__/")):
            continue
        if name.startswith(("account_", "mfa_", "headless:")):
            continue  # allauth
        routes[name] = route
    return routes


def test_every_url_has_an_access_rule():
    missing = sorted(set(_our_routes()) - set(RULES))
    assert missing == [], (
        "These URLs have no entry in tests/security/test_access_matrix.py RULES; state who may use them: "
        + ", ".join(missing)
    )


def test_access_rules_name_only_existing_urls():
    assert sorted(set(RULES) - set(_our_routes())) == []


# --- the world: two of each role, and one object of each kind owned by the first ones ---------------------


@pytest.fixture
def world(settings, tmp_path):
    from types import SimpleNamespace

    from django.core.files.base import ContentFile
    from django.core.files.storage import storages

    from apps.accounts.tests.factories import AdminFactory, UserFactory, give_totp, reader_application_create
    from apps.community.models import Attachment
    from apps.community.services import unsubscribe_token
    from apps.community.tests.factories import forum, thread_by
    from apps.core.files import file_link_issue
    from apps.live.services.streams import stream_go_live, stream_invite, viewer_heartbeat
    from apps.live.tests.factories import gift_kind
    from apps.messaging.tests.factories import conversation_with, listed_reader, paid_reply
    from apps.moderation.services import moderator_grant, report_create
    from apps.notifications.models import Notification
    from apps.pages.tests.factories import HelpArticleFactory, SupportTicketFactory, ensure_initial_policies
    from apps.readers.models import Favorite
    from apps.readers.tests.factories import SpecialtyFactory
    from apps.readings.services import session_accept, session_end, session_finalize, session_request
    from apps.readings.services.reviews import review_create
    from apps.readings.tests.helpers import credit, make_reader
    from apps.scheduling.models import DateException, TimeBlock, WeeklyWindow
    from apps.scheduling.tests.factories import booking_funded
    from apps.wallet.models import Posting, TopUp

    client, other_client = UserFactory(), UserFactory()
    reader = make_reader(rate=Decimal("1.00"))
    other_reader = listed_reader().user
    admin = AdminFactory()
    give_totp(admin)
    moderator = UserFactory()
    moderator_grant(actor=admin, user=moderator)
    give_totp(moderator)
    credit(client, Decimal("20.00"))
    reading = session_request(client=client, reader=reader, modality="text")
    session_accept(reader=reader, session_id=reading.pk)
    session_end(actor=client, session_id=reading.pk)
    reading = session_finalize(session_id=reading.pk)
    review = review_create(client=client, session_id=reading.pk, rating=5, body="Kind and clear.")
    conversation = conversation_with(client=client, reader=reader)
    reply = paid_reply(conversation, "The cards say patience.")
    report = report_create(reporter=client, type_key="messaging.message", object_id=reply.pk, reason="spam")
    reportable = paid_reply(conversation, "A second reply, not reported yet.")
    credit(client, Decimal("15.00"))
    booking = booking_funded(
        client=client,
        reader=reader,
        starts_at=timezone.now() + timedelta(days=3),
        duration_minutes=15,
        rate_amount=Decimal("1.00"),
    )
    transaction = Posting.objects.filter(account__code=f"wallet:{client.pk}").latest("pk").transaction
    topup = TopUp.objects.create(
        user=client, amount=Decimal("10.00"), stripe_checkout_session_id="cs_test_matrix", status=TopUp.Status.PAID
    )
    ensure_initial_policies()
    later = timezone.now() + timedelta(days=3)
    # A private live stream of the reader, the client (a follower) invited and watching.
    Favorite.objects.get_or_create(user=client, reader=reader.reader_profile)
    private_stream = stream_go_live(actor=reader, title="Matrix stream", visibility="private")
    stream_invite_row = stream_invite(actor=reader, stream_id=private_stream.pk, user_id=client.pk)
    stream_viewer = viewer_heartbeat(actor=client, stream=private_stream)
    # A public forum with the client's thread (its opening post is the client's).
    community_thread = thread_by(client, category=forum())
    settings.MEDIA_ROOT = tmp_path
    # A private file and a link to it for the client (the token exists only in the URL given once).
    file_key = storages["default"].save("matrix/file.txt", ContentFile(b"private"))
    file_link, file_url = file_link_issue(user=client, storage_key=file_key, filename="f.txt", purpose="core.matrix")
    file_link.token = file_url.split("/")[-2]
    community_attachment = Attachment.objects.create(
        post=community_thread.posts.get(),
        storage_key=storages["default"].save("community/matrix.png", ContentFile(b"not served as a page")),
        filename="matrix.png",
        content_type="image/png",
        size_bytes=20,
    )
    objects = {
        "community_attachment": community_attachment,
        "community_category": community_thread.category,
        "community_thread": community_thread,
        "community_post": community_thread.posts.get(),
        "community_unsubscribe": SimpleNamespace(
            token=unsubscribe_token(user_id=client.pk, thread_id=community_thread.pk)
        ),
        "help_article": HelpArticleFactory(),
        "reader_profile": reader.reader_profile,
        "application": reader_application_create(client),
        "wallet_transaction": transaction,
        "notification": Notification.objects.create(user=client, kind="readings.review", title="Hello"),
        "conversation": conversation,
        "paid_reply": reply,
        "reading": reading,
        "reportable_message": reportable,
        "client": client,
        "ticket": SupportTicketFactory(),
        "topup": topup,
        "review": review,
        "report": report,
        "specialty": SpecialtyFactory(),
        "booking": booking,
        "weekly_window": WeeklyWindow.objects.create(reader=reader, weekday=0, start_time=time(9), end_time=time(12)),
        "date_exception": DateException.objects.create(reader=reader, date=later.date(), kind="day_off"),
        "time_block": TimeBlock.objects.create(reader=reader, starts_at=later, ends_at=later + timedelta(hours=1)),
        "private_stream": private_stream,
        "hosted_stream": private_stream,
        "stream_invite": stream_invite_row,
        "stream_viewer": stream_viewer,
        "gift_kind": gift_kind(),
        "file_link": file_link,
        **_shop_objects(client),
    }
    # Who the object belongs to (its parties); everyone else is a stranger.
    parties = {
        "application": [client],
        "wallet_transaction": [client],
        "file_link": [client],
        "notification": [client],
        "conversation": [client, reader],
        "paid_reply": [client],
        "reading": [client, reader],
        "booking": [client, reader],
        "reportable_message": [client],
        "weekly_window": [reader],
        "date_exception": [reader],
        "time_block": [reader],
        "private_stream": [client, reader],
        "hosted_stream": [reader],
        "stream_invite": [reader],
        "stream_viewer": [reader],
        "shop_order": [client],
        "shop_order_item": [client],
        "community_post": [client],
    }
    return {
        "users": {"client": client, "other_client": other_client, "reader": reader, "other_reader": other_reader},
        "admin": admin,
        "moderator": moderator,
        "objects": objects,
        "parties": parties,
    }


def _shop_objects(client: Any) -> dict[str, Any]:
    """A product for sale (mirrored as the catalog sync writes it) and a paid order of the client."""
    from apps.shop.models import Order, OrderItem, Price, Product

    product = Product.objects.create(
        stripe_product_id="prod_matrix",
        name="Matrix guide",
        kind="digital",
        file_key="shop/matrix.pdf",
        default_price_id="price_matrix",
        is_active=True,
        stripe_version=1,
    )
    Price.objects.create(
        stripe_price_id="price_matrix", product=product, unit_amount=Decimal("5.00"), is_active=True, stripe_version=1
    )
    order = Order.objects.create(
        user=client,
        client_key="matrix-order-key",
        payment_method="wallet",
        status="fulfilled",
        subtotal_amount=Decimal("5.00"),
        total_amount=Decimal("5.00"),
    )
    OrderItem.objects.create(
        order=order,
        product=product,
        stripe_price_id="price_matrix",
        name=product.name,
        kind="digital",
        unit_amount=Decimal("5.00"),
        quantity=1,
        total_amount=Decimal("5.00"),
    )
    return {"shop_product": product, "shop_order": order, "shop_order_item": order.items.get()}


def _url(name: str, rule: Rule, world: dict[str, Any]) -> str:
    if not rule.obj:
        return reverse(name)
    obj = world["objects"][rule.obj]
    kwargs = {}
    for kwarg, attribute in rule.kwargs.items():
        if attribute.startswith("="):  # a literal path segment
            kwargs[kwarg] = attribute[1:]
        else:
            kwargs[kwarg] = "messaging.message" if kwarg == "type_key" else getattr(obj, attribute)
    return reverse(name, kwargs=kwargs)


class SignedInClients:
    """Test clients signed in as a user, each with a session of its own, as if each had signed in.

    Django's sign-in (``force_login``: 16 statements and the ``user_logged_in`` receivers) runs once per user;
    every later client gets a new session row holding a copy of what that sign-in stored. The matrix sends
    about 1,400 requests, each from a fresh client, and signing each one in was 40% of its time. Only for
    requests that change nothing of the user's (the matrix's: what a user may not do is refused): a sign-in
    reads the user's state, such as a scheduled deletion, once.
    """

    def __init__(self, **client_options: Any) -> None:
        self._sessions: dict[int, dict[str, Any]] = {}
        self._client_options = client_options

    def __call__(self, user: Any) -> Client:
        browser = Client(**self._client_options)
        if user is None:
            return browser
        if user.pk not in self._sessions:
            browser.force_login(user)
            self._sessions[user.pk] = dict(browser.session.items())
            return browser
        session = import_module(settings.SESSION_ENGINE).SessionStore()
        session.update(self._sessions[user.pk])
        session.create()
        browser.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
        return browser


def _is_login_redirect(response: Any) -> bool:
    return response.status_code == 302 and response["Location"].startswith(LOGIN)


CHECKED = sorted(name for name, rule in RULES.items() if rule.who != "exempt")


@pytest.mark.slow
def test_every_url_answers_each_role_as_its_rule_says(world):
    # One world for every URL (building it per URL would cost minutes); each URL's wrong answers are collected
    # and reported together.
    signed_in = SignedInClients()
    problems = [problem for name in CHECKED for problem in _check(name, world, signed_in)]
    assert problems == [], "\n".join(problems)


def _check(name: str, world: dict[str, Any], _as: SignedInClients) -> list[str]:
    rule = RULES[name]
    url = _url(name, rule, world)
    users = world["users"]
    admin = world["admin"]
    outcomes: list[str] = []

    def expect(who: str, user: Any, method: str, ok: Any) -> None:
        response = getattr(_as(user), method.lower())(url)
        if not ok(response):
            outcomes.append(f"{method} as {who}: {response.status_code} {response.get('Location', '')}")

    def denied(response: Any) -> bool:
        return response.status_code in (403, 404, 405)

    def allowed(response: Any) -> bool:
        return (
            response.status_code < 500 and response.status_code not in (403, 404) and not _is_login_redirect(response)
        )

    def anon_denied(response: Any) -> bool:
        return _is_login_redirect(response) or response.status_code in (401, 403, 404)

    def stranger(who: str, user: Any) -> None:
        # Someone else's object: 404 (405 for a method the view never takes says nothing about the object),
        # and at least one of GET and POST reaches the object check and answers 404.
        answers = {method: getattr(_as(user), method.lower())(url).status_code for method in ("GET", "POST")}
        if not (set(answers.values()) <= {404, 405} and 404 in answers.values()):
            outcomes.append(f"as {who}: {answers}")
        # The same from HTMX (pages fetch their panels so, and errors take another path for it): still no leak.
        htmx = _as(user).get(url, HTTP_HX_REQUEST="true").status_code
        if htmx not in (404, 405):
            outcomes.append(f"HTMX GET as {who}: {htmx}")

    # when / then
    if rule.who == "public":
        expect("anonymous", None, "GET", allowed)
    elif rule.who == "signed_in":
        expect("anonymous", None, "GET", anon_denied)
        expect("anonymous", None, "POST", anon_denied)
        if rule.why:  # the viewer's own resource, which may not exist for them
            expect("client", users["other_client"], "GET", lambda r: r.status_code < 500 and not _is_login_redirect(r))
        else:
            expect("client", users["other_client"], "GET", allowed)
    elif rule.who == "reader":
        expect("anonymous", None, "GET", anon_denied)
        for who in ("client", "other_client"):
            expect(who, users[who], "GET", denied)
            expect(who, users[who], "POST", denied)
        expect("reader", users["other_reader"], "GET", allowed)
    elif rule.who == "staff":
        expect("anonymous", None, "GET", anon_denied)
        expect("anonymous", None, "POST", anon_denied)
        for who, user in users.items():
            expect(who, user, "GET", lambda r: r.status_code == 404)
            expect(who, user, "POST", lambda r: r.status_code == 404)
        expect("admin", admin, "GET", lambda r: r.status_code < 500 and r.status_code != 404)
        expect("moderator", world["moderator"], "GET", lambda r: r.status_code == 404)
        expect("moderator", world["moderator"], "POST", lambda r: r.status_code == 404)
    elif rule.who == "moderator":
        expect("anonymous", None, "GET", anon_denied)
        expect("anonymous", None, "POST", anon_denied)
        for who, user in users.items():
            expect(who, user, "GET", lambda r: r.status_code == 404)
            expect(who, user, "POST", lambda r: r.status_code == 404)
        expect("admin", admin, "GET", lambda r: r.status_code < 500 and r.status_code != 404)
        expect("moderator", world["moderator"], "GET", lambda r: r.status_code == 200)
    elif rule.who == "owner":
        parties = world["parties"][rule.obj]
        expect("anonymous", None, "GET", anon_denied)
        expect("anonymous", None, "POST", anon_denied)
        for who, user in users.items():
            if user in parties:
                continue
            stranger(who, user)
        # An admin is not a party either: admin pages, not the parties' pages, are where admins look.
        stranger("admin", admin)
        expect("owner", parties[0], "GET", lambda r: r.status_code < 500 and r.status_code != 404)
    else:  # pragma: no cover - a rule with an unknown "who" is a mistake in this file
        outcomes.append(f"unknown rule {rule.who!r}")
    return [f"{name} ({url}): {outcome}" for outcome in outcomes]


def _callbacks(patterns: list[Any], namespace: str = "") -> dict[str, Any]:
    found = {}
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or ""
            found.update(
                _callbacks(pattern.url_patterns, f"{namespace}:{ns}" if namespace and ns else (ns or namespace))
            )
        elif isinstance(pattern, URLPattern) and pattern.name:
            found[f"{namespace}:{pattern.name}" if namespace else pattern.name] = pattern.callback
    return found


def test_csrf_exempt_views_are_the_signed_webhooks_and_the_api_only():
    # DRF's API views are exempt from Django's middleware because DRF enforces CSRF itself for
    # session-authenticated requests; the webhooks are authenticated by their provider's signature.
    callbacks = _callbacks(get_resolver().url_patterns)
    exempted = {
        name
        for name, callback in callbacks.items()
        if name in _our_routes() and getattr(callback, "csrf_exempt", False)
    }
    api = {name for name in exempted if _our_routes()[name].startswith("api/")}
    assert exempted - api == {"wallet:stripe_webhook", "rtc:ncs-webhook", "payouts:stripe_connect_webhook"}
