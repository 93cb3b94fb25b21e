"""Messaging in two real browsers side by side: a client writes to a reader, the reader answers for free and
then with a paid reply; the client cannot unlock it without money (the top-up offer shows, the text does not),
the wallet is credited through the ledger, the client unlocks and reads the reply. Balances and the reader's
earnings are checked against the ledger; axe-core runs on the inbox, conversation and unlock pages."""

import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from apps.accounts.tests.factories import UserFactory
from apps.messaging.constants import POLL_SECONDS
from apps.messaging.models import Message
from apps.messaging.tests.factories import listed_reader
from apps.wallet.enums import TransactionKind
from apps.wallet.models import TopUp, Transaction
from apps.wallet.selectors import balance_of, wallet_balance
from apps.wallet.services.ledger import earnings_account, house_account, wallet_account
from apps.wallet.services.webhooks import stripe_events_process_received
from tests.e2e.conftest import assert_axe_clean, post_signed_webhook, sign_in_with_session

SECRET = "The Star card says: apply for the job in spring."


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_messaging_free_then_paid_reply_unlocked_after_top_up(live_server, new_page, stripe_server):
    base = live_server.url
    client_user = UserFactory(email="seeker.messages@example.com", display_name="Sam Seeker")
    profile = listed_reader(display_name="Luna Starlight")
    reader_user = profile.user
    client_page = new_page(reduced_motion="reduce", viewport={"width": 1280, "height": 900})
    reader_page = new_page(reduced_motion="reduce", viewport={"width": 1280, "height": 900})
    # The client's page runs on Playwright's clock: time flows as usual, and the test moves it to the next poll
    # of the open conversation instead of waiting for it.
    client_page.clock.install()
    sign_in_with_session(client_page, base, client_user)
    sign_in_with_session(reader_page, base, reader_user)

    # --- The client finds the reader and writes (free) ----------------------------------------------
    client_page.goto(base + reverse("messaging:inbox"))
    assert_axe_clean(client_page)
    client_page.get_by_role("link", name="Write to a reader").first.click()
    client_page.get_by_label("Find a reader by name").fill("Luna")
    client_page.get_by_role("button", name="Find").click()
    client_page.get_by_role("link", name="Write to Luna Starlight").click()
    client_page.get_by_label("Your message").fill("Hello Luna, should I change jobs? https://example.com/cv")
    client_page.get_by_role("button", name="Send").click()
    # (exact: the page before sending is headed "Write to Luna Starlight")
    client_page.get_by_role("heading", name="Luna Starlight", exact=True).wait_for()
    link = client_page.get_by_role("link", name="https://example.com/cv")
    assert link.get_attribute("rel") == "nofollow noopener noreferrer"
    assert_axe_clean(client_page)

    # --- The reader sees the unread conversation and replies for free ---------------------------------
    reader_page.goto(base + reverse("messaging:inbox"))
    conversation_link = reader_page.get_by_role("link", name=re.compile("Sam Seeker"))
    assert "1 unread" in conversation_link.inner_text().replace("\n", " ")
    assert_axe_clean(reader_page)
    conversation_link.click()
    reader_page.get_by_text("should I change jobs?").wait_for()
    reader_page.get_by_label("Your message").fill("Thank you for writing. Let me draw a card for you.")
    reader_page.get_by_role("button", name="Send").click()
    reader_page.get_by_text("Let me draw a card for you.").wait_for()
    assert_axe_clean(reader_page)

    # The free reply reaches the client's open conversation without a reload (HTMX polling).
    client_page.clock.fast_forward(POLL_SECONDS * 1000)
    client_page.get_by_text("Let me draw a card for you.").wait_for(timeout=15_000)

    # --- The reader answers with a paid reply ------------------------------------------------------
    reader_page.get_by_label("Your message").fill(SECRET)
    reader_page.get_by_label("Paid reply: the client pays to read it").check()
    reader_page.get_by_label("Price (USD)").fill("2.50")
    reader_page.get_by_role("button", name="Send").click()
    reader_page.get_by_text(SECRET).wait_for()
    reply = Message.objects.get(is_paid=True)
    assert reply.price_amount == Decimal("2.50") and reply.is_locked

    # The client sees that a paid reply arrived and its price, never its text.
    client_page.clock.fast_forward(POLL_SECONDS * 1000)
    client_page.get_by_role("link", name="Unlock for $2.50").wait_for(timeout=15_000)
    assert SECRET not in client_page.content()
    client_page.reload()
    assert SECRET not in client_page.content()
    assert_axe_clean(client_page)

    # --- Unlocking without money: a top-up offer, nothing revealed, nothing written ------------------
    client_page.get_by_role("link", name="Unlock for $2.50").click()
    client_page.get_by_role("heading", name="Unlock a paid reply").wait_for()
    assert_axe_clean(client_page)
    client_page.get_by_role("button", name="Pay $2.50 and read the reply").click()
    top_up = client_page.get_by_role("link", name="Top up your wallet")
    top_up.wait_for()
    assert top_up.get_attribute("href") == reverse("wallet:home")
    assert SECRET not in client_page.content()
    assert_axe_clean(client_page)
    assert not Transaction.objects.filter(kind=TransactionKind.PAID_REPLY).exists()

    # --- The client tops up by card (Checkout + signed webhook), then unlocks and reads --------------
    top_up.click()
    client_page.get_by_label("$10", exact=True).check()
    client_page.get_by_role("button", name="Continue").click()
    client_page.get_by_role("button", name="Pay $10.00 by card").click()
    client_page.get_by_role("heading", name="Test checkout").wait_for()
    topup = TopUp.objects.get(user=client_user)
    session = stripe_server.session_pay(topup.stripe_checkout_session_id)
    event = stripe_server.event("checkout.session.completed", session)
    assert post_signed_webhook(base + reverse("wallet:stripe_webhook"), event) == 200
    assert stripe_events_process_received() == 1  # the Celery worker's job, run here
    client_page.goto(session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"]))
    client_page.get_by_role("heading", name="Payment received").wait_for()
    client_page.goto(base + reverse("messaging:unlock", args=[reply.pk]))
    assert "$10.00" in client_page.locator("main").inner_text()
    client_page.get_by_role("button", name="Pay $2.50 and read the reply").click()
    client_page.get_by_text(SECRET).wait_for()
    expect(client_page.get_by_text("Reply unlocked.")).to_be_visible()
    assert_axe_clean(client_page)

    # --- Balances and earnings match the ledger ---------------------------------------------------
    reply.refresh_from_db()
    txn = Transaction.objects.get(kind=TransactionKind.PAID_REPLY)
    assert reply.transaction_id == txn.pk
    receipt = client_page.get_by_role("link", name="Payment of $2.50 in your wallet history")
    assert receipt.get_attribute("href") == reverse("wallet:transaction_detail", args=[txn.pk])
    assert wallet_balance(user=client_user) == Decimal("7.50") == balance_of(wallet_account(client_user))
    assert balance_of(earnings_account(reader_user)) == Decimal("1.75")
    assert earnings_account(reader_user).balance == Decimal("1.75")
    revenue = {p.account.code: p.amount for p in txn.postings.select_related("account")}
    assert revenue["platform:revenue"] == Decimal("0.75")
    assert balance_of(house_account("platform:revenue")) == Decimal("0.75")
    assert balance_of(house_account("stripe:cash")) == Decimal("-10.00")
    call_command("ledger_check")

    # The inbox shows the conversation with nothing unread for the client.
    client_page.goto(base + reverse("messaging:inbox"))
    assert "unread" not in client_page.get_by_role("link", name=re.compile("Luna Starlight")).inner_text()
    assert_axe_clean(client_page)
