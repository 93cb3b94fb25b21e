"""Livestreams in real browsers.

A premium stream in two of them: the reader goes live from the studio; a viewer buys a ticket from the wallet,
chats and sends a gift; the host's page shows the gift with its animation, the viewer count and the earnings,
which equal the ledger's. Agora is not configured here, so both pages say the stream offers chat and gifts only.
And a gift the wallet cannot pay, topped up by card through Stripe Checkout (the local server that speaks
Stripe's API) and then sent once. axe-core runs on every page the journeys open.
"""

import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from apps.accounts.tests.factories import UserFactory
from apps.live.enums import Animation
from apps.live.models import GiftKind, Stream, StreamGift, StreamTicket
from apps.live.services.streams import stream_go_live
from apps.readers.tests.factories import ReaderProfileFactory
from apps.wallet.models import TopUp
from apps.wallet.selectors import balance_of
from apps.wallet.services.ledger import earnings_account, wallet_account
from tests.e2e.conftest import assert_axe_clean, sign_in_with_session
from tests.support.money import top_up

# The host's page polls its panel (viewers, earnings) every 4 s and the events and chat every 3 s (live/host.html).
HOST_PANEL_POLL_MS = 4_000


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_live_premium_stream_ticket_chat_gift_seen_by_the_host(live_server, new_page):
    base = live_server.url
    host = ReaderProfileFactory(display_name="Luna Starlight").user
    viewer = UserFactory(email="viewer.live@example.com", display_name="Vera Viewer")
    top_up(viewer, Decimal("20.00"))
    GiftKind.objects.create(name="Full moon", price_amount=Decimal("5.00"), animation=Animation.MOON, position=1)
    host_page = new_page(viewport={"width": 1280, "height": 1000})
    viewer_page = new_page(viewport={"width": 390, "height": 844})  # a phone-sized screen
    sign_in_with_session(host_page, base, host)
    sign_in_with_session(viewer_page, base, viewer)
    viewer_page.on("dialog", lambda dialog: dialog.accept())
    host_page.on("dialog", lambda dialog: dialog.accept())
    # The host's page runs on Playwright's clock: time flows as usual, and the test moves it to its next polls
    # instead of waiting for them.
    host_page.clock.install()

    # --- The reader goes live on a premium stream ---------------------------------------------------------------
    host_page.goto(base + reverse("live:studio"))
    assert_axe_clean(host_page)
    host_page.get_by_label("Title").fill("Full moon tarot")
    host_page.get_by_label("Premium: a paid ticket").check()
    host_page.get_by_label("Ticket price in dollars (premium streams)").fill("5.00")
    host_page.get_by_role("button", name="Go live now").click()
    host_page.wait_for_url(re.compile(r"/live/\d+/host/$"))
    expect(host_page.get_by_test_id("stream-state")).to_have_text("Live")
    expect(host_page.get_by_text("Video needs Agora to be configured on this server")).to_be_visible()
    stream = Stream.objects.get()

    # --- The viewer finds it on the Live page and buys a ticket ----------------------------------------------
    viewer_page.goto(base + reverse("live:home"))
    viewer_page.get_by_role("link", name="Full moon tarot").click()
    expect(viewer_page.get_by_test_id("ticket-offer")).to_be_visible()
    assert_axe_clean(viewer_page)
    viewer_page.get_by_role("button", name="Buy a ticket for $5.00").click()
    expect(viewer_page.get_by_text("Your ticket is booked ($5.00)")).to_be_visible()
    expect(viewer_page.get_by_text("This stream offers chat and gifts only")).to_be_visible()
    assert StreamTicket.objects.filter(stream=stream, user=viewer).count() == 1

    # --- The viewer chats and sends a gift --------------------------------------------------------------------
    viewer_page.get_by_label("Your message").fill("Hello from the audience")
    viewer_page.get_by_role("button", name="Send message").click()
    expect(viewer_page.get_by_test_id("stream-chat").get_by_text("Hello from the audience")).to_be_visible()
    viewer_page.get_by_role("button", name="Full moon · $5.00").click()
    expect(viewer_page.get_by_test_id("gift-sent")).to_have_text("You sent Full moon ($5.00).")
    expect(viewer_page.locator("[data-event-kind='gift']")).to_be_visible(timeout=15_000)
    assert_axe_clean(viewer_page)

    # --- The host's page shows the gift (animated), the viewer count and the earnings ---------------------------
    host_page.clock.fast_forward(HOST_PANEL_POLL_MS)
    gift_event = host_page.locator("[data-event-kind='gift']")
    expect(gift_event).to_contain_text("Vera Viewer sent Full moon ($5.00)", timeout=15_000)
    expect(gift_event).to_have_class(re.compile(r"\bgift-arrived\b"))
    expect(gift_event.locator("svg.gift-art-moon")).to_have_count(1)
    expect(host_page.get_by_test_id("host-viewer-count")).to_have_text("1", timeout=15_000)
    expect(host_page.get_by_test_id("earnings-tickets")).to_have_text("$3.50", timeout=15_000)
    expect(host_page.get_by_test_id("earnings-gifts")).to_have_text("$3.50")
    expect(host_page.get_by_test_id("earnings-total")).to_have_text("$7.00")
    expect(host_page.get_by_test_id("stream-chat").get_by_text("Hello from the audience")).to_be_visible()
    assert_axe_clean(host_page)

    # --- The money is in the ledger, and the ledger is clean ----------------------------------------------------
    assert StreamGift.objects.get().reader_amount == Decimal("3.50")
    assert balance_of(earnings_account(host)) == Decimal("7.00")
    assert balance_of(wallet_account(viewer)) == Decimal("10.00")
    call_command("ledger_check")

    # --- The host ends the stream and sees the summary ----------------------------------------------------------
    host_page.get_by_role("button", name="End the stream").click()
    expect(host_page.get_by_test_id("stream-summary")).to_be_visible()
    expect(host_page.get_by_test_id("stream-state")).to_have_text("Ended")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_live_gift_without_funds_top_up_by_card_then_send(live_server, new_page, stripe_server):
    base = live_server.url
    host = ReaderProfileFactory(display_name="Orion Vale").user
    viewer = UserFactory(email="short.wallet@example.com", display_name="Sol Short")
    top_up(viewer, Decimal("1.00"))
    GiftKind.objects.create(name="Crystal", price_amount=Decimal("5.00"), animation=Animation.CRYSTAL, position=1)
    stream = stream_go_live(actor=host, title="Crystal evening")
    page = new_page(viewport={"width": 390, "height": 844})
    sign_in_with_session(page, base, viewer)
    page.on("dialog", lambda dialog: dialog.accept())

    # --- The gift is refused: nothing is charged, and a card top-up is offered -----------------------------------
    page.goto(base + reverse("live:stream", args=[stream.pk]))
    page.get_by_role("button", name="Crystal · $5.00").click()
    expect(page.get_by_test_id("gift-error")).to_contain_text("Nothing was charged")
    assert_axe_clean(page)
    page.get_by_label("Or top up by card and send Crystal: amount in dollars").fill("10.00")
    page.get_by_role("button", name="Top up and send").click()

    # --- Stripe Checkout (the local server), paid; back on SoulSeer the wallet is credited first --------------
    page.get_by_role("heading", name="Test checkout").wait_for()
    topup = TopUp.objects.get(user=viewer)
    session = stripe_server.session_pay(topup.stripe_checkout_session_id)
    page.goto(session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"]))
    expect(page.get_by_test_id("topup-paid")).to_contain_text("topped up with $10.00")
    assert_axe_clean(page)
    assert balance_of(wallet_account(viewer)) == Decimal("11.00")
    page.get_by_role("button", name="Send Crystal ($5.00)").click()

    # --- The gift is sent once and shows in the stream -------------------------------------------------------------
    expect(page.get_by_text("You sent Crystal ($5.00).")).to_be_visible()
    expect(page.locator("[data-event-kind='gift']")).to_contain_text("sent Crystal", timeout=15_000)
    assert StreamGift.objects.filter(sender=viewer).count() == 1
    assert balance_of(wallet_account(viewer)) == Decimal("6.00")
    assert balance_of(earnings_account(host)) == Decimal("3.50")
    call_command("ledger_check")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_live_viewer_removed_by_the_host_is_told_and_loses_the_chat(live_server, new_page):
    base = live_server.url
    host = ReaderProfileFactory(display_name="Nova Reed").user
    viewer = UserFactory(display_name="Rex Rude")
    stream = stream_go_live(actor=host, title="Quiet tarot")
    host_page = new_page(viewport={"width": 1280, "height": 1000})
    viewer_page = new_page(viewport={"width": 1280, "height": 1000})
    sign_in_with_session(host_page, base, host)
    sign_in_with_session(viewer_page, base, viewer)
    host_page.on("dialog", lambda dialog: dialog.accept())
    viewer_page.clock.install()
    viewer_page.goto(base + reverse("live:stream", args=[stream.pk]))
    expect(viewer_page.get_by_label("Your message")).to_be_visible()

    # when the host removes the viewer from the host page
    host_page.goto(base + reverse("live:host", args=[stream.pk]))
    host_page.get_by_role("button", name="Remove Rex Rude").click()
    expect(host_page.get_by_text("Viewer removed from this stream.")).to_be_visible()

    # then the viewer's page, at its next heartbeat, reloads and says so, without the chat
    viewer_page.clock.fast_forward(11_000)
    expect(viewer_page.get_by_test_id("removed-note")).to_be_visible(timeout=15_000)
    expect(viewer_page.get_by_label("Your message")).to_have_count(0)
    assert_axe_clean(viewer_page)
