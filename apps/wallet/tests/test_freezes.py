"""Wallet freezes by source: a dispute freeze is lifted by its dispute, an admin's or a lost dispute's freeze only
by an admin, with a reason, audited; non-admins get 404 and bad input changes nothing."""

import pytest
from django.urls import reverse

from apps.core.models import AuditLog
from apps.wallet.enums import FreezeSource
from apps.wallet.models import Account
from apps.wallet.services.webhooks import stripe_events_process_received

from .stripe_flows import deliver, topup_paid
from .test_disputes import dispute_of

pytestmark = pytest.mark.django_db


def wallet_of(user) -> Account:
    return Account.objects.get(code=f"wallet:{user.pk}")


def test_wallet_freeze_by_admin_survives_a_won_dispute(admin_client, admin_user, client, client_user, stripe_server):
    # given an admin froze the wallet by hand
    paid = topup_paid(client, stripe_server, client_user, "20.00")
    response = admin_client.post(
        reverse("staff_wallet:wallet_freeze", args=[client_user.pk]), {"action": "freeze", "reason": "Fraud review"}
    )
    assert response.status_code == 302
    assert wallet_of(client_user).frozen_source == FreezeSource.ADMIN
    audit = AuditLog.objects.get(action="wallet.frozen_by_admin")
    assert audit.actor == admin_user and audit.details["reason"] == "Fraud review"
    # when a dispute opens and is won
    deliver(client, stripe_server, "charge.dispute.created", dispute_of(stripe_server, paid))
    deliver(client, stripe_server, "charge.dispute.closed", dispute_of(stripe_server, paid, status="won"))
    stripe_events_process_received()
    # then the admin's freeze stays
    wallet = wallet_of(client_user)
    assert wallet.is_frozen and wallet.frozen_source == FreezeSource.ADMIN


def test_wallet_unfreeze_by_admin_lifts_a_lost_dispute_freeze_audited(
    admin_client, admin_user, client, client_user, stripe_server
):
    # given a lost dispute froze the wallet
    paid = topup_paid(client, stripe_server, client_user, "20.00")
    deliver(client, stripe_server, "charge.dispute.closed", dispute_of(stripe_server, paid, status="lost"))
    stripe_events_process_received()
    assert wallet_of(client_user).frozen_source == FreezeSource.DISPUTE_LOST
    page = admin_client.get(reverse("staff_wallet:user_ledger", args=[client_user.pk])).content.decode()
    assert "Lost payment dispute" in page and "Unfreeze" in page
    # when the admin lifts it with a reason
    response = admin_client.post(
        reverse("staff_wallet:wallet_freeze", args=[client_user.pk]),
        {"action": "unfreeze", "reason": "Client repaid by bank transfer"},
    )
    # then
    assert response.status_code == 302
    wallet = wallet_of(client_user)
    assert not wallet.is_frozen and wallet.frozen_source == ""
    audit = AuditLog.objects.get(action="wallet.unfrozen_by_admin")
    assert audit.actor == admin_user and audit.details["lifted_source"] == FreezeSource.DISPUTE_LOST


def test_wallet_freeze_without_reason_400_nothing_changes(admin_client, client_user):
    response = admin_client.post(
        reverse("staff_wallet:wallet_freeze", args=[client_user.pk]), {"action": "freeze", "reason": "  "}
    )
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    assert not Account.objects.filter(is_frozen=True).exists()
    assert not AuditLog.objects.filter(action__startswith="wallet.frozen").exists()


def test_wallet_unfreeze_of_unfrozen_wallet_400_clear_message(admin_client, client_user):
    response = admin_client.post(
        reverse("staff_wallet:wallet_freeze", args=[client_user.pk]), {"action": "unfreeze", "reason": "x"}
    )
    assert response.status_code == 400 and "This wallet is not frozen." in response.content.decode()


def test_wallet_freeze_non_admin_404_nothing_changes(client, client_user, reader_user):
    for user in (client_user, reader_user):
        client.force_login(user)
        response = client.post(
            reverse("staff_wallet:wallet_freeze", args=[client_user.pk]), {"action": "freeze", "reason": "mine"}
        )
        assert response.status_code == 404
    assert not Account.objects.filter(is_frozen=True).exists()


def test_topup_start_wallet_frozen_by_admin_refused_with_clear_message(client, client_user, admin_user, stripe_server):
    # given an admin froze the wallet
    from apps.wallet.exceptions import AccountFrozen
    from apps.wallet.services.freezes import wallet_freeze

    from .stripe_flows import topup_checkout

    wallet_freeze(actor=admin_user, user=client_user, reason="Fraud review")
    # when / then: no Checkout Session is created, and the message does not speak of a dispute
    with pytest.raises(AccountFrozen, match="contact us through the Help Center"):
        topup_checkout(client_user, "10.00")
    assert not stripe_server.requests_to("POST", "/v1/checkout/sessions")
