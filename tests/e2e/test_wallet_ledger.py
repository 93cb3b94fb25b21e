"""The ledger in a real browser: an admin (with TOTP) credits a client's wallet through
the review and confirmation steps, reads the client's ledger and the ledger check status; the client then sees
the credit in their wallet. Both are signed in by session cookie. axe-core runs on every page on the way.
"""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from apps.accounts.tests.factories import AdminFactory, UserFactory, give_totp
from apps.core.models import AuditLog
from apps.wallet.models import Transaction
from apps.wallet.services.ledger_check import ledger_check_run
from tests.e2e.conftest import assert_axe_clean, sign_in_with_session


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_admin_credits_wallet_with_confirmation_and_client_sees_it(live_server, new_page):
    # given
    admin = AdminFactory(email="ledger-keeper@example.com")
    give_totp(admin)
    client_user = UserFactory(email="wanda@example.com")
    ledger_check_run(trigger="nightly")
    base = live_server.url

    # when: the admin reviews, then confirms a credit
    admin_page = new_page()
    sign_in_with_session(admin_page, base, admin)
    admin_page.goto(base + reverse("staff_wallet:index"))
    expect(admin_page.get_by_text("Clean").first).to_be_visible()
    assert_axe_clean(admin_page)
    admin_page.get_by_role("link", name="Credit or debit a wallet").click()
    admin_page.wait_for_url(f"**{reverse('staff_wallet:adjustment_new')}")
    assert_axe_clean(admin_page)
    admin_page.get_by_label("User email").fill(client_user.email)
    admin_page.get_by_label("Credit (add to the wallet)").check()
    admin_page.get_by_label("Amount (USD)").fill("25.00")
    admin_page.get_by_label("Reason").fill("Reading dropped by a network failure")
    admin_page.get_by_role("button", name="Review").click()
    expect(admin_page.get_by_role("heading", name="Confirm the adjustment")).to_be_visible()
    assert_axe_clean(admin_page)
    admin_page.get_by_role("button", name="Post the adjustment").click()
    admin_page.wait_for_url(f"**{reverse('staff_wallet:user_ledger', args=[client_user.pk])}")

    # then: the admin sees the postings; one transaction, one audit row
    expect(admin_page.get_by_text("platform:revenue").first).to_be_visible()
    assert_axe_clean(admin_page)
    assert Transaction.objects.filter(kind="adjustment", user=client_user).count() == 1
    assert AuditLog.objects.filter(action="wallet.adjustment").count() == 1

    # and the client sees the credit in their wallet
    client_page = new_page()
    sign_in_with_session(client_page, base, client_user)
    client_page.goto(base + reverse("wallet:home"))
    assert client_page.get_by_test_id("wallet-balance").inner_text() == "$25.00"
    expect(client_page.get_by_text("Reading dropped by a network failure")).to_be_visible()
    assert_axe_clean(client_page)
