"""Reader payouts in real browsers against the local Stripe server: a reader sets up payouts through Stripe's
Account Link (the local server's onboarding page sends them straight back to the return URL), an admin records
the background check, the reader earns from a paid reply, asks for a payout, and the admin sees it in the queue;
the outbox then makes the one Stripe transfer. axe-core runs on the reader's and the admin's pages."""

import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from apps.accounts.tests.factories import AdminFactory, UserFactory, give_totp
from apps.core.outbox import outbox_drain
from apps.messaging.services import message_unlock
from apps.messaging.tests.factories import conversation_with, listed_reader, paid_reply
from apps.payouts.models import Payout, PayoutAccount
from apps.wallet.tests.stripe_server import CONNECT_WEBHOOK_SECRET
from tests.e2e.conftest import assert_axe_clean, sign_in_with_session
from tests.support.money import top_up


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_reader_onboards_earns_requests_a_payout_and_the_admin_sees_it(live_server, new_page, stripe_server, settings):
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = CONNECT_WEBHOOK_SECRET
    base = live_server.url
    reader = listed_reader(display_name="Iris Moonwater").user
    admin = AdminFactory(email="payouts.admin@example.com")
    give_totp(admin)
    reader_page = new_page(reduced_motion="reduce", viewport={"width": 390, "height": 844})  # a phone
    admin_page = new_page(reduced_motion="reduce", viewport={"width": 1280, "height": 900})
    sign_in_with_session(reader_page, base, reader)
    sign_in_with_session(admin_page, base, admin)

    # --- The reader sets up payouts through Stripe's Account Link ----------------------------------------
    reader_page.goto(base + reverse("payouts:home"))
    expect(
        reader_page.get_by_text("Set up your payout account with Stripe so we can send you your earnings.")
    ).to_be_visible()
    assert_axe_clean(reader_page)
    reader_page.get_by_role("button", name="Set up payouts with Stripe").click()
    reader_page.wait_for_url(re.compile(r".*/payouts/$"))
    expect(reader_page.get_by_text("Your payout account is set up with Stripe.")).to_be_visible()
    expect(reader_page.get_by_text("The SoulSeer team is finishing its own checks of your account.")).to_be_visible()
    account = PayoutAccount.objects.get(reader=reader)
    assert account.stripe_verified and account.stripe_account_id in stripe_server.accounts
    assert_axe_clean(reader_page)

    # --- The admin records the background check --------------------------------------------------------
    admin_page.goto(base + reverse("staff_payouts:reader", kwargs={"reader_id": reader.pk}))
    admin_page.get_by_label("Background check done").check()
    admin_page.get_by_role("button", name="Save KYC flags").click()
    expect(admin_page.get_by_text("The KYC flags are saved.")).to_be_visible()
    assert_axe_clean(admin_page)

    # --- The reader earns: a client unlocks their $25.00 paid reply (70% is theirs) ---------------------------
    client_user = UserFactory()
    top_up(client_user, "30.00")
    reply = paid_reply(conversation_with(client=client_user, reader=reader), "The Moon: trust it.", Decimal("25.00"))
    message_unlock(actor=client_user, message_id=reply.pk)

    # --- … and asks for a payout --------------------------------------------------------------------------
    reader_page.goto(base + reverse("payouts:home"))
    expect(reader_page.get_by_test_id("payout-available")).to_have_text("$17.50")
    reader_page.get_by_role("button", name="Pay me $17.50 now").click()
    expect(reader_page.get_by_text("$17.50 is on its way to your Stripe account.")).to_be_visible()
    expect(reader_page.get_by_test_id("payout-pending")).to_contain_text("$17.50")
    assert_axe_clean(reader_page)

    # --- The admin sees it in the queue ----------------------------------------------------------------------
    admin_page.goto(base + reverse("staff_payouts:queue"))
    queue = admin_page.get_by_test_id("payout-queue")
    expect(queue).to_contain_text("Iris Moonwater")
    expect(queue).to_contain_text("$17.50")
    assert_axe_clean(admin_page)

    # --- The outbox makes the transfer; both see it paid --------------------------------------------------
    outbox_drain()
    payout = Payout.objects.get(reader=reader)
    assert payout.status == "paid" and list(stripe_server.transfers) == [payout.stripe_transfer_id]
    admin_page.reload()
    expect(admin_page.get_by_text("No payout is waiting")).to_be_visible()
    reader_page.goto(base + reverse("payouts:home"))
    expect(reader_page.get_by_role("table")).to_contain_text("Paid")
    call_command("ledger_check")
