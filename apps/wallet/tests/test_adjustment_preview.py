"""The adjustment preview says plainly when a debit cannot be paid, and money in errors carries its sign."""

from decimal import Decimal

import pytest
from django.urls import reverse

from apps.wallet.exceptions import InsufficientFunds
from apps.wallet.models import Transaction
from apps.wallet.services.adjustments import adjustment_create

pytestmark = pytest.mark.django_db


def _preview(admin_client, email: str, direction: str, amount: str):
    data = {"email": email, "direction": direction, "amount": amount, "reason": "Goodwill", "idempotency_key": "k1"}
    return admin_client.post(reverse("staff_wallet:adjustment_new"), data)


def test_staff_adjustment_new_debit_larger_than_wallet_is_not_offered_for_posting(admin_client, client_user):
    # given: an empty wallet
    # when
    response = _preview(admin_client, client_user.email, "debit", "5.00")
    # then: the preview explains, in dollars, and offers only to change the amount
    html = response.content.decode()
    assert "cannot be posted" in html and "$0.00" in html and "$5.00" in html
    assert "Post the adjustment" not in html
    assert Transaction.objects.count() == 0


def test_adjustment_create_insufficient_funds_message_shows_dollars(admin_user, client_user):
    # when
    with pytest.raises(InsufficientFunds) as raised:
        adjustment_create(
            actor=admin_user, user=client_user, amount=Decimal("-5.00"), reason="Goodwill", idempotency_key="k2"
        )
    # then
    assert "$0.00 available" in raised.value.message and "$5.00 needed" in raised.value.message
