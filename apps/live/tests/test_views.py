"""Pages and endpoints of livestreams: the Live list (constant queries), 404 for every stream view without access,
tickets, gifts and chat through HTTP, the host's page, the studio and its history, the gift catalog for admins."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.accounts.tests.factories import AdminFactory, UserFactory
from apps.live.enums import StreamState, Visibility
from apps.live.models import GiftKind, Stream, StreamGift, StreamMessage, StreamTicket, StreamViewer
from apps.live.services.payments import gift_send, ticket_buy
from apps.live.services.streams import stream_end, stream_invite, viewer_heartbeat, viewer_remove
from apps.moderation.services import content_hide, report_create

from .factories import balance, follower_of, funded, gift_kind, live_stream, make_host, scheduled_stream

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _as(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def _member_urls(stream: Stream) -> list[tuple[str, str]]:
    pk = stream.pk
    return [
        ("get", reverse("live:events", args=[pk])),
        ("get", reverse("live:chat", args=[pk])),
        ("post", reverse("live:chat", args=[pk])),
        ("post", reverse("live:gift", args=[pk])),
        ("post", reverse("live:heartbeat", args=[pk])),
        ("get", reverse("live:status", args=[pk])),
    ]


def _host_urls(stream: Stream) -> list[tuple[str, str]]:
    pk = stream.pk
    return [
        ("get", reverse("live:host", args=[pk])),
        ("get", reverse("live:host_panel", args=[pk])),
        ("post", reverse("live:start", args=[pk])),
        ("post", reverse("live:end", args=[pk])),
        ("post", reverse("live:invite", args=[pk])),
        ("post", reverse("live:invite_revoke", args=[pk, 1])),
        ("post", reverse("live:viewer_remove", args=[pk, 1])),
    ]


# --- the Live page --------------------------------------------------------------------------------------------


def _live_page_queries(count: int) -> int:
    for index in range(count):
        if index % 2:
            viewer_heartbeat(actor=UserFactory(), stream=live_stream())
        else:
            scheduled_stream()
    browser = _as(UserFactory())
    browser.get(reverse("live:home"))  # warm the session and caches
    with CaptureQueriesContext(connection) as ctx:
        response = browser.get(reverse("live:home"))
    assert response.status_code == 200
    return len(ctx)


def test_live_page_queries_do_not_grow_with_streams():
    # given / when
    few = _live_page_queries(2)
    many = _live_page_queries(12)
    # then
    assert many == few


def test_live_page_live_first_then_upcoming_with_viewers_and_visibility():
    # given
    upcoming = scheduled_stream(title="Tomorrow under the moon", scheduled_start_at=timezone.now() + timedelta(days=1))
    live = live_stream(visibility=Visibility.PREMIUM, price="4.00")
    # when
    page = Client().get(reverse("live:home")).content.decode()
    # then
    assert page.index(live.title) < page.index(upcoming.title)
    assert "Live now" in page and "Upcoming" in page
    assert "Premium" in page and "$4.00" in page
    assert "0 watching" in page


def test_live_page_private_stream_only_for_the_invited():
    # given
    host = make_host()
    guest = follower_of(host)
    private = live_stream(host, visibility=Visibility.PRIVATE)
    stream_invite(actor=host, stream_id=private.pk, user_id=guest.pk)
    # when
    stranger_page = _as(UserFactory()).get(reverse("live:home")).content.decode()
    guest_page = _as(guest).get(reverse("live:home")).content.decode()
    # then
    assert private.title not in stranger_page
    assert private.title in guest_page


def test_live_page_shows_times_in_the_viewers_time_zone():
    # given
    start = timezone.now().replace(microsecond=0) + timedelta(days=2)
    scheduled_stream(scheduled_start_at=start)
    viewer = UserFactory(timezone="Asia/Tokyo")
    # when
    page = _as(viewer).get(reverse("live:home")).content.decode()
    # then
    local = timezone.localtime(start, timezone=__import__("zoneinfo").ZoneInfo("Asia/Tokyo"))
    assert local.strftime("%H:%M") in page
    assert "Asia/Tokyo" in page


# --- 404 without access -----------------------------------------------------------------------------------------


def test_private_stream_every_view_404_for_strangers():
    # given
    stream = live_stream(visibility=Visibility.PRIVATE)
    stranger = _as(UserFactory())
    # when / then
    assert stranger.get(reverse("live:stream", args=[stream.pk])).status_code == 404
    assert stranger.post(reverse("live:ticket", args=[stream.pk])).status_code == 404
    for method, url in _member_urls(stream) + _host_urls(stream):
        assert getattr(stranger, method)(url).status_code == 404, url


def test_premium_stream_without_ticket_page_offers_ticket_apis_404():
    # given
    stream = live_stream(visibility=Visibility.PREMIUM, price="5.00")
    viewer = funded()
    browser = _as(viewer)
    # when
    page = browser.get(reverse("live:stream", args=[stream.pk]))
    # then
    assert page.status_code == 200
    assert b'data-testid="ticket-offer"' in page.content
    assert b"Buy a ticket for $5.00" in page.content
    for method, url in _member_urls(stream):
        assert getattr(browser, method)(url).status_code == 404, url


def test_premium_stream_ticket_bought_over_http_opens_the_stream():
    # given
    stream = live_stream(visibility=Visibility.PREMIUM, price="5.00")
    viewer = funded(amount="6.00")
    browser = _as(viewer)
    # when
    response = browser.post(reverse("live:ticket", args=[stream.pk]))
    page = browser.get(reverse("live:stream", args=[stream.pk]))
    # then
    assert response.status_code == 302
    assert StreamTicket.objects.filter(stream=stream, user=viewer).exists()
    assert b'data-testid="ticket-offer"' not in page.content
    assert browser.get(reverse("live:events", args=[stream.pk])).status_code == 200


def test_ticket_over_http_without_funds_says_so_and_writes_nothing():
    # given
    stream = live_stream(visibility=Visibility.PREMIUM, price="5.00")
    viewer = funded(amount="1.00")
    browser = _as(viewer)
    # when
    response = browser.post(reverse("live:ticket", args=[stream.pk]), follow=True)
    # then
    assert b"not enough money" in response.content
    assert b"Top up your wallet" in response.content
    assert not StreamTicket.objects.exists()


def test_host_pages_404_for_other_readers():
    # given
    stream = live_stream()
    other = _as(make_host())
    # when / then
    for method, url in _host_urls(stream):
        assert getattr(other, method)(url).status_code == 404, url
    assert _as(stream.host).get(reverse("live:host", args=[stream.pk])).status_code == 200


def test_removed_viewer_page_says_so_and_apis_refuse():
    # given
    stream = live_stream()
    viewer = UserFactory()
    viewer_heartbeat(actor=viewer, stream=stream)
    viewer_remove(actor=stream.host, stream_id=stream.pk, user_id=viewer.pk)
    browser = _as(viewer)
    # when
    page = browser.get(reverse("live:stream", args=[stream.pk]))
    # then
    assert b'data-testid="removed-note"' in page.content
    assert b"data-rtc-room" not in page.content
    for method, url in _member_urls(stream):
        assert getattr(browser, method)(url).status_code == 403, url


# --- the stream page -------------------------------------------------------------------------------------------


def test_stream_page_without_agora_says_video_needs_it(settings):
    # given
    settings.AGORA_APP_ID = ""
    stream = live_stream()
    # when
    page = _as(UserFactory()).get(reverse("live:stream", args=[stream.pk])).content.decode()
    # then
    assert "Video needs Agora to be configured on this server" in page
    assert "chat and gifts only" in page
    assert "not recorded" in page


def test_stream_page_gift_buttons_confirm_the_price():
    # given
    stream = live_stream()
    gift_kind("3.00", name="Golden moon")
    # when
    page = _as(funded()).get(reverse("live:stream", args=[stream.pk])).content.decode()
    # then
    assert 'data-confirm="Send Golden moon for $3.00 from your wallet?"' in page


def test_gift_over_htmx_sends_once_and_renews_keys():
    # given
    stream = live_stream()
    kind = gift_kind("2.00")
    viewer = funded(amount="10.00")
    browser = _as(viewer)
    data = {"gift_kind": kind.pk, "key": "htmx-key-0001"}
    # when
    first = browser.post(reverse("live:gift", args=[stream.pk]), data, **HTMX)
    again = browser.post(reverse("live:gift", args=[stream.pk]), data, **HTMX)
    # then
    assert first.status_code == 200
    assert first["HX-Trigger"] == "live-refresh"
    assert b'data-testid="gift-sent"' in first.content
    assert b"htmx-key-0001" not in first.content
    assert again.status_code == 200
    assert StreamGift.objects.count() == 1
    assert balance(f"wallet:{viewer.pk}") == Decimal("8.00")


def test_gift_over_htmx_without_funds_offers_top_up_writes_nothing():
    # given
    stream = live_stream()
    kind = gift_kind("5.00")
    viewer = funded(amount="1.00")
    # when
    response = _as(viewer).post(
        reverse("live:gift", args=[stream.pk]), {"gift_kind": kind.pk, "key": "poor-htmx-1"}, **HTMX
    )
    # then
    assert response.status_code == 402
    assert response["HX-Retarget"] == "#gift-result"
    assert b"Nothing was charged" in response.content
    assert reverse("wallet:topup").encode() in response.content
    assert not StreamGift.objects.exists()


def test_events_list_in_order_with_gift_animation():
    # given
    stream = live_stream()
    kind = gift_kind("1.00", animation="moon")
    viewer = funded()
    viewer_heartbeat(actor=viewer, stream=stream)
    gift_send(actor=viewer, stream_id=stream.pk, gift_kind_id=kind.pk, client_key="events-key-1")
    browser = _as(stream.host)
    # when
    first = browser.get(reverse("live:events", args=[stream.pk]) + "?after=0").content.decode()
    # then
    assert first.index('data-event-kind="started"') < first.index('data-event-kind="join"')
    assert first.index('data-event-kind="join"') < first.index('data-event-kind="gift"')
    assert "gift-art-moon" in first
    assert "gift-arrived" not in first  # what was there before the page opened does not replay
    last_join = stream.events.get(kind="join").pk
    later = browser.get(reverse("live:events", args=[stream.pk]) + f"?after={last_join}").content.decode()
    assert "gift-arrived" in later and 'data-event-kind="join"' not in later


def test_chat_post_then_rate_limited_after_ten(settings):
    # given
    stream = live_stream()
    viewer = UserFactory()
    browser = _as(viewer)
    url = reverse("live:chat", args=[stream.pk])
    # when
    answers = [browser.post(url, {"body": f"Line {i}"}, **HTMX).status_code for i in range(11)]
    # then
    assert answers[:10] == [200] * 10
    assert answers[10] == 400
    assert StreamMessage.objects.count() == 10


def test_chat_empty_line_refused_beside_the_form():
    # given
    stream = live_stream()
    # when
    response = _as(UserFactory()).post(reverse("live:chat", args=[stream.pk]), {"body": "  "}, **HTMX)
    # then
    assert response.status_code == 400
    assert response["HX-Retarget"] == "#chat-error"
    assert not StreamMessage.objects.exists()


def test_chat_hidden_by_moderator_vanishes_for_everyone():
    # given
    stream = live_stream()
    author, reader = UserFactory(), UserFactory()
    _as(author).post(reverse("live:chat", args=[stream.pk]), {"body": "Buy my crystals off-site"}, **HTMX)
    message = StreamMessage.objects.get()
    report_create(reporter=reader, type_key="live.chat_message", object_id=message.pk, reason="scam")
    # when
    content_hide(actor=AdminFactory(), type_key="live.chat_message", object_id=message.pk, reason="Scam")
    # then
    for user in (author, reader, stream.host):
        chat = _as(user).get(reverse("live:chat", args=[stream.pk])).content.decode()
        assert "Buy my crystals" not in chat


def test_chat_report_page_404_for_someone_without_access():
    # given
    stream = live_stream(visibility=Visibility.PRIVATE)
    _as(stream.host).post(reverse("live:chat", args=[stream.pk]), {"body": "Welcome"}, **HTMX)
    message = StreamMessage.objects.get()
    # when
    response = _as(UserFactory()).get(reverse("moderation:report", args=["live.chat_message", message.pk]))
    # then
    assert response.status_code == 404


def test_heartbeat_counts_viewers_and_host_heartbeat_keeps_alive():
    # given
    stream = live_stream()
    viewer = UserFactory()
    # when
    viewer_answer = _as(viewer).post(reverse("live:heartbeat", args=[stream.pk])).json()
    host_answer = _as(stream.host).post(reverse("live:heartbeat", args=[stream.pk])).json()
    # then
    assert viewer_answer == {"live": True, "viewers": 1}
    assert host_answer == {"live": True, "viewers": 1}
    assert StreamViewer.objects.filter(stream=stream, user=viewer).exists()


# --- the host and the studio -------------------------------------------------------------------------------------


def test_host_page_shows_earnings_equal_to_the_ledger():
    # given
    stream = live_stream(visibility=Visibility.PREMIUM, price="5.00")
    viewer = funded(amount="20.00")
    ticket_buy(actor=viewer, stream_id=stream.pk)
    gift_send(actor=viewer, stream_id=stream.pk, gift_kind_id=gift_kind("2.00").pk, client_key="host-page-1")
    # when
    panel = _as(stream.host).get(reverse("live:host_panel", args=[stream.pk])).content.decode()
    # then: 70% of $5 and of $2
    assert 'data-testid="earnings-tickets">$3.50' in panel
    assert 'data-testid="earnings-gifts">$1.40' in panel
    assert 'data-testid="earnings-total">$4.90' in panel
    assert balance(f"earnings:{stream.host_id}") == Decimal("4.90")


def test_studio_go_live_redirects_to_host_page():
    # given
    host = make_host()
    # when
    response = _as(host).post(
        reverse("live:studio"),
        {"title": "Tarot tonight", "visibility": "premium", "ticket_price": "4.50", "action": "live"},
    )
    # then
    stream = Stream.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("live:host", args=[stream.pk])
    assert (stream.state, stream.ticket_price_amount) == (StreamState.LIVE, Decimal("4.50"))


def test_studio_schedule_reads_the_time_in_the_readers_time_zone():
    # given
    host = make_host()
    host.timezone = "America/New_York"
    host.save(update_fields=["timezone"])
    day = (timezone.now() + timedelta(days=3)).date()
    # when
    _as(host).post(
        reverse("live:studio"),
        {"title": "Scheduled", "visibility": "public", "scheduled_start": f"{day}T20:00", "action": "schedule"},
    )
    # then
    stream = Stream.objects.get()
    local = timezone.localtime(stream.scheduled_start_at, timezone=__import__("zoneinfo").ZoneInfo("America/New_York"))
    assert (local.date(), local.hour, local.minute) == (day, 20, 0)
    assert stream.state == StreamState.SCHEDULED


def test_studio_bad_input_clear_error_nothing_written():
    # given
    host = make_host()
    # when
    response = _as(host).post(reverse("live:studio"), {"title": "P", "visibility": "premium", "action": "live"})
    # then
    assert response.status_code == 400
    assert b"A premium stream needs a ticket price." in response.content
    assert not Stream.objects.exists()


def test_studio_pages_404_for_clients():
    # given
    browser = _as(UserFactory())
    # when / then
    assert browser.get(reverse("live:studio")).status_code == 404
    assert browser.get(reverse("live:studio_panel")).status_code == 404


def _history_queries(host, count: int) -> int:
    for index in range(count):
        stream = live_stream(host, visibility=Visibility.PREMIUM, price="2.00")
        viewer = funded()
        ticket_buy(actor=viewer, stream_id=stream.pk)
        gift_send(
            actor=viewer,
            stream_id=stream.pk,
            gift_kind_id=gift_kind("1.00").pk,
            client_key=f"history-{host.pk}-{count}-{index}",
        )
        stream_end(actor=host, stream_id=stream.pk)
    browser = _as(host)
    browser.get(reverse("live:studio_panel"))
    with CaptureQueriesContext(connection) as ctx:
        response = browser.get(reverse("live:studio_panel"))
    assert response.status_code == 200
    return len(ctx)


def test_studio_history_queries_constant_and_figures_equal_ledger():
    # given / when
    host = make_host()
    few = _history_queries(host, 1)
    many = _history_queries(host, 4)
    panel = _as(host).get(reverse("live:studio_panel")).content.decode()
    # then
    assert many == few
    assert panel.count('data-testid="history-gifts">$0.70') == 5
    assert panel.count('data-testid="history-tickets">$1.40') == 5
    assert balance(f"earnings:{host.pk}") == Decimal("2.10") * 5


def test_dashboard_reader_has_the_live_section():
    # given
    host = make_host()
    # when
    page = _as(host).get(reverse("dashboards:reader")).content.decode()
    # then
    assert reverse("live:studio_panel") in page


# --- the gift catalog (admins) ------------------------------------------------------------------------------------


def test_staff_gift_catalog_create_and_edit_audited():
    # given
    from apps.accounts.tests.factories import give_totp
    from apps.core.models import AuditLog

    admin = AdminFactory()
    give_totp(admin)
    browser = _as(admin)
    values = {"name": "Aurora", "price_amount": "7.00", "animation": "comet", "position": 5, "is_active": "on"}
    # when
    created = browser.post(reverse("staff_live:gifts"), values)
    kind = GiftKind.objects.get(name="Aurora")
    edited = browser.post(
        reverse("staff_live:gift_edit", args=[kind.pk]), {**values, "price_amount": "8.00", "is_active": ""}
    )
    # then
    assert (created.status_code, edited.status_code) == (302, 302)
    kind.refresh_from_db()
    assert (kind.price_amount, kind.is_active) == (Decimal("8.00"), False)
    assert AuditLog.objects.filter(action__startswith="live.gift_kind_").count() == 2


def test_staff_gift_catalog_bad_price_clear_error_nothing_written():
    # given
    from apps.accounts.tests.factories import give_totp

    admin = AdminFactory()
    give_totp(admin)
    before = GiftKind.objects.count()
    # when
    response = _as(admin).post(
        reverse("staff_live:gifts"), {"name": "Free", "price_amount": "0.10", "animation": "star", "position": 1}
    )
    # then
    assert response.status_code == 400
    assert b"0.5" in response.content
    assert GiftKind.objects.count() == before


def test_staff_gift_catalog_404_for_readers_and_clients():
    # given / when / then
    for user in (UserFactory(), make_host()):
        assert _as(user).get(reverse("staff_live:gifts")).status_code == 404


def test_stream_page_viewer_room_says_join_only_watches(settings):
    # given
    settings.AGORA_APP_ID = "970CA35de60c44645bbae8a215061b33"
    settings.AGORA_APP_CERTIFICATE = "5CFd2fd1755d40ecb72977518be15d3b"
    stream = live_stream()
    # when
    viewer_page = _as(UserFactory()).get(reverse("live:stream", args=[stream.pk])).content.decode()
    host_page = _as(stream.host).get(reverse("live:host", args=[stream.pk])).content.decode()
    # then
    assert "Press “Join” to watch and listen" in viewer_page
    assert "your browser will ask for your microphone and camera" in host_page
    assert 'data-use="stream"' in viewer_page


def test_reader_profile_panel_shows_their_live_stream_to_those_who_may_see_it():
    # given
    host = make_host()
    public = live_stream(host)
    private = scheduled_stream(host, visibility=Visibility.PRIVATE, title="Invited only")
    url = reverse("live:profile_panel", args=[host.reader_profile.pk])
    # when
    visitor = Client().get(url).content.decode()
    profile_page = Client().get(reverse("readers:profile", args=[host.reader_profile.pk])).content.decode()
    # then
    assert public.title in visitor and "Live now" in visitor
    assert private.title not in visitor
    assert url in profile_page


def test_reader_profile_panel_nothing_when_not_streaming():
    # given
    host = make_host()
    # when
    response = Client().get(reverse("live:profile_panel", args=[host.reader_profile.pk]))
    # then
    assert response.status_code == 200
    assert b"profile-live" not in response.content
