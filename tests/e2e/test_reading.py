"""A pay-per-minute chat reading in two real browsers side by side (client and reader).

The client requests a reading from the reader's profile; the reader's dashboard shows the request and the
reader accepts; both chat; minutes are billed by the tick; the wallet runs low (warning), then out (the
reading pauses with a top-up prompt); the client tops up in a new tab through Stripe Checkout (the local
server that speaks Stripe's API, a signed checkout.session.completed webhook, the stored event processed);
the reading resumes by itself; the client ends it. The summary, the wallet and the reader's earnings show the
numbers the ledger holds, and ``ledger_check`` stays clean. axe-core runs on the room, dashboard and summary.

Time: the test does not wait real minutes. ``_minute_passes`` moves the reading's own clock back by a minute
(when it started, when its paid time runs out), both parties' heartbeats arrive, and the billing tick runs
here with the server time, as the Celery beat would. Nor does it wait for the pages' polls: both pages run on
Playwright's clock (time flows as usual), and after each change on the server the test moves a page's clock to
its next poll (the room's status and chat, the reader's incoming requests) instead of waiting for it.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import F, Sum
from django.urls import reverse
from django.utils import timezone

from apps.accounts.tests.factories import UserFactory
from apps.readers.enums import Presence
from apps.readers.models import ReaderProfile
from apps.readers.tests.factories import ReaderProfileFactory
from apps.readings.enums import SessionState
from apps.readings.models import ReadingSession, SessionMessage
from apps.readings.services import session_bill_tick, session_heartbeat
from apps.readings.tests.helpers import credit
from apps.wallet.enums import TransactionKind
from apps.wallet.models import Posting, StripeEvent, TopUp
from apps.wallet.selectors import balance_of
from apps.wallet.services.ledger import earnings_account, wallet_account
from apps.wallet.services.ledger_check import ledger_check_collect
from apps.wallet.services.webhooks import stripe_events_process_received
from tests.e2e.conftest import assert_axe_clean, post_signed_webhook, sign_in_with_session
from tests.e2e.reading_room import ROOM_POLL_MS, chat_sent, room_reloads_into

# The reader dashboard's incoming requests poll (readings/partials/_incoming.html).
INCOMING_POLL_MS = 3_000


def _minute_passes(session: ReadingSession) -> None:
    """A minute of the reading goes by: its clock moves back 60 s, both parties beat, the tick runs."""
    minute = timedelta(seconds=60)
    ReadingSession.objects.filter(pk=session.pk, state=SessionState.ACTIVE).update(
        created_at=F("created_at") - minute,
        accepted_at=F("accepted_at") - minute,
        active_since_at=F("active_since_at") - minute,
        billed_until_at=F("billed_until_at") - minute,
    )
    _both_beat_and_tick(session)


def _both_beat_and_tick(session: ReadingSession) -> None:
    session_heartbeat(user=session.client, session_id=session.pk)
    session_heartbeat(user=session.reader, session_id=session.pk)
    session_bill_tick(session_id=session.pk)


def _status(page, testid: str) -> str:
    return page.get_by_test_id(testid).inner_text().strip()


def _wait_status(page, testid: str, text: str) -> None:
    """Wait for the room's status to show ``text``, moving the page to its next status poll if it does not yet."""
    shown = page.locator(f'[data-testid="{testid}"]', has_text=text)
    if not shown.count():
        page.clock.fast_forward(ROOM_POLL_MS)
    shown.wait_for(timeout=15_000)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_reading_request_accept_chat_bill_pause_top_up_resume_end(live_server, new_page, stripe_server):
    base = live_server.url
    # given a listed reader, online, at $1.00 a minute for chat, and a client whose wallet holds $3.00
    profile = ReaderProfileFactory(display_name="Luna Starlight", text_rate_amount=Decimal("1.00"))
    reader = profile.user
    ReaderProfile.objects.filter(pk=profile.pk).update(presence=Presence.ONLINE, last_seen_at=timezone.now())
    client_user = UserFactory(email="seeker.reading@example.com", display_name="Sam Seeker")
    credit(client_user, Decimal("3.00"))
    client_page = new_page(reduced_motion="reduce", viewport={"width": 1280, "height": 1000})
    reader_page = new_page(reduced_motion="reduce", viewport={"width": 1280, "height": 1000})
    client_page.clock.install()
    reader_page.clock.install()
    sign_in_with_session(reader_page, base, reader)
    sign_in_with_session(client_page, base, client_user)

    # --- The reader is on their dashboard; the client requests a chat reading from the profile --------
    reader_page.goto(base + reverse("dashboards:reader"))
    reader_page.get_by_text("No requests right now").wait_for()
    client_page.goto(base + reverse("readers:profile", args=[profile.pk]))
    client_page.get_by_role("heading", name="Start a reading with Luna Starlight").wait_for()
    assert client_page.get_by_label("Chat · $1.00/min").is_checked()
    assert_axe_clean(client_page)
    client_page.get_by_label("What would you like to ask? (optional)").fill("Will my new job work out?")
    client_page.get_by_role("button", name="Request a reading").click()
    client_page.get_by_text("Waiting for Luna Starlight to accept").wait_for()
    session = ReadingSession.objects.select_related("client", "reader").get()
    assert session.state == SessionState.WAITING
    assert_axe_clean(client_page)

    # --- The reader sees the request (polled, with a chime and a title marker) and accepts ---------------
    card = reader_page.locator(f'[data-incoming-request="{session.pk}"]')
    reader_page.clock.fast_forward(INCOMING_POLL_MS)
    card.wait_for(timeout=10_000)
    assert "Will my new job work out?" in card.inner_text()
    reader_page.wait_for_function("document.title.startsWith('(1) Reading request')")
    assert reader_page.locator("[data-incoming-panel]").get_attribute("data-chimed") == str(session.pk)
    assert_axe_clean(reader_page)
    card.get_by_role("button", name="Accept the chat reading with Sam Seeker").click()
    reader_page.get_by_role("heading", name="Reading with Sam Seeker").wait_for()

    # --- The client's room turns live by itself: minute 1 is paid, and two minutes of funds are left ----
    room_reloads_into(client_page, SessionState.ACTIVE)
    client_page.get_by_role("heading", name="Chat").wait_for(timeout=15_000)
    assert _status(client_page, "room-state") == "In progress"
    assert _status(client_page, "room-minutes") == "1"
    assert _status(client_page, "room-cost") == "$1.00"
    assert _status(client_page, "room-funds") == "$2.00 (2 min)"
    warning = client_page.get_by_test_id("room-low-balance")
    assert "covers 2 more minutes" in warning.inner_text()
    assert warning.get_by_role("link").get_attribute("target") == "_blank"
    assert_axe_clean(client_page)

    # --- They chat ------------------------------------------------------------------------------------
    client_page.get_by_label("Your message").fill("Hello Luna, thank you for taking my reading.")
    client_page.get_by_role("button", name="Send message").click()
    chat_sent(client_page, "Hello Luna, thank you for taking my reading.")
    reader_page.clock.fast_forward(ROOM_POLL_MS)  # the reader's chat poll
    reader_page.get_by_text("Hello Luna, thank you for taking my reading.").wait_for(timeout=10_000)
    reader_page.get_by_label("Your message").fill("Welcome, Sam. Let me draw the first card.")
    reader_page.keyboard.press("Enter")
    chat_sent(reader_page, "Welcome, Sam. Let me draw the first card.")
    client_page.clock.fast_forward(ROOM_POLL_MS)  # the client's chat poll
    client_page.get_by_text("Welcome, Sam. Let me draw the first card.").wait_for(timeout=10_000)
    assert client_page.get_by_label("Your message").input_value() == ""
    assert SessionMessage.objects.filter(session=session).count() == 2
    assert_axe_clean(reader_page)

    # --- Two minutes pass: minutes 2 and 3 are billed ---------------------------------------------------
    _minute_passes(session)
    _wait_status(client_page, "room-minutes", "2")
    _minute_passes(session)
    _wait_status(client_page, "room-minutes", "3")
    _wait_status(client_page, "room-cost", "$3.00")
    _wait_status(reader_page, "room-minutes", "3")

    # --- Another minute: the wallet cannot pay minute 4, so the reading pauses before it begins ----------
    _minute_passes(session)
    session.refresh_from_db()
    assert session.state == SessionState.PAUSED and session.minutes_billed == 3
    paused = client_page.get_by_test_id("room-paused")
    client_page.clock.fast_forward(ROOM_POLL_MS)
    paused.wait_for(timeout=10_000)
    client_page.locator("[data-room-announcer]", has_text="Paused").wait_for(timeout=5_000)
    reader_page.clock.fast_forward(ROOM_POLL_MS)
    reader_page.get_by_text("Paused while the client adds funds").wait_for(timeout=10_000)
    assert_axe_clean(client_page)
    # The status block refreshes every 2 s; keyboard focus stays on the top-up link across two refreshes.
    client_page.evaluate(
        """() => {
            window.statusRefreshes = 0;
            document.body.addEventListener("htmx:afterSettle", (event) => {
                if (event.detail && event.detail.elt && event.detail.elt.id === "room-status") window.statusRefreshes++;
            });
        }"""
    )
    client_page.locator("#room-topup-link").focus()
    for refreshes in (1, 2):
        client_page.clock.fast_forward(ROOM_POLL_MS)
        client_page.wait_for_function(f"window.statusRefreshes >= {refreshes}", timeout=10_000)
    assert client_page.evaluate("document.activeElement && document.activeElement.id") == "room-topup-link"

    # --- The client tops up $25 in a new tab, without leaving the room -----------------------------------
    with client_page.context.expect_page() as opened:
        paused.get_by_role("link", name="Add funds (opens in a new tab)").click()
    wallet_page = opened.value
    wallet_page.wait_for_load_state()
    wallet_page.get_by_label("$25").check()
    wallet_page.get_by_role("button", name="Continue").click()
    wallet_page.get_by_role("button", name="Pay $25.00 by card").click()
    wallet_page.get_by_role("heading", name="Test checkout").wait_for()
    topup = TopUp.objects.get(user=client_user)
    checkout = stripe_server.session_pay(topup.stripe_checkout_session_id)
    event = stripe_server.event("checkout.session.completed", checkout)
    assert post_signed_webhook(base + reverse("wallet:stripe_webhook"), event) == 200
    assert StripeEvent.objects.get().status == StripeEvent.Status.RECEIVED
    # Until the worker processes the event, the reading stays paused.
    _both_beat_and_tick(session)
    session.refresh_from_db()
    assert session.state == SessionState.PAUSED
    assert stripe_events_process_received() == 1  # (the Celery worker's job, run here)
    wallet_page.close()

    # --- The credit landed: the next tick resumes the reading by itself, and minute 4 is billed ---------
    _both_beat_and_tick(session)
    session.refresh_from_db()
    assert session.state == SessionState.ACTIVE
    _both_beat_and_tick(session)
    _wait_status(client_page, "room-state", "In progress")
    _wait_status(client_page, "room-minutes", "4")
    _wait_status(client_page, "room-funds", "$24.00")
    assert client_page.get_by_test_id("room-low-balance").count() == 0

    # --- The client ends the reading -------------------------------------------------------------------
    client_page.once("dialog", lambda dialog: dialog.accept())
    client_page.get_by_role("button", name="End reading").click()
    client_page.get_by_role("heading", name="Summary").wait_for()
    session_bill_tick(session_id=session.pk)  # settlement (the worker's job, run here)
    session.refresh_from_db()
    assert session.state == SessionState.FINALIZED

    # then the summary shows what the ledger holds, to both
    charged = Posting.objects.filter(
        transaction__session_id=session.pk,
        transaction__kind=TransactionKind.SESSION_CHARGE,
        account__code=f"hold:session:{session.pk}",
    )
    ledger_amount = charged.aggregate(total=Sum("amount"))["total"]
    reader_share = balance_of(earnings_account(reader))
    assert (charged.count(), ledger_amount, reader_share) == (4, Decimal("4.00"), Decimal("2.80"))
    client_page.reload()
    assert _status(client_page, "summary-minutes") == "4"
    assert _status(client_page, "summary-amount") == "$4.00"
    assert _status(client_page, "summary-reader-share") == "$2.80"
    assert client_page.get_by_test_id("summary-lines").get_by_role("row").count() == 1 + 4
    assert_axe_clean(client_page)
    reader_page.goto(base + reverse("readings:summary", args=[session.pk]))
    assert _status(reader_page, "summary-amount") == "$4.00"
    transcript = reader_page.get_by_role("list", name="Transcript").inner_text()
    assert "Welcome, Sam. Let me draw the first card." in transcript

    # and the wallet shows the ledger balance: 3 + 25 − 4
    client_page.goto(base + reverse("wallet:home"))
    assert _status(client_page, "wallet-balance") == "$24.00"
    assert balance_of(wallet_account(client_user)) == Decimal("24.00")

    # and the reader's earnings show their share, and they are online (not busy) again
    reader_page.goto(base + reverse("readings:history"))
    assert _status(reader_page, "earnings-balance") == "$2.80"
    assert ReaderProfile.objects.get(pk=profile.pk).presence == Presence.ONLINE
    assert_axe_clean(reader_page)

    # and the ledger checks are clean
    report = ledger_check_collect()
    assert report["ok"], report
