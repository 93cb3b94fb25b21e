"""Adjustments: admin-only, reason required, posted against platform revenue, audited exactly once."""

from decimal import Decimal

import pytest

from apps.core.exceptions import DomainError, PermissionDeniedError
from apps.core.models import AuditLog
from apps.wallet.exceptions import IdempotencyConflict, InsufficientFunds, InvalidAmount
from apps.wallet.models import Transaction
from apps.wallet.selectors import balance_of
from apps.wallet.services.adjustments import adjustment_create
from apps.wallet.services.ledger import house_account, wallet_account

D = Decimal


@pytest.mark.django_db
def test_adjustment_create_credit_posts_against_revenue_and_audits(admin_user, client_user):
    # when
    txn = adjustment_create(
        actor=admin_user, user=client_user, amount=D("20.00"), reason="Billing error", idempotency_key="adj:1"
    )
    # then
    assert txn.kind == "adjustment" and txn.memo == "Billing error" and txn.actor == admin_user
    assert {p.account.code: p.amount for p in txn.postings.select_related("account")} == {
        f"wallet:{client_user.pk}": D("20.00"),
        "platform:revenue": D("-20.00"),
    }
    assert balance_of(house_account("platform:revenue")) == D("-20.00")
    audit = AuditLog.objects.get(action="wallet.adjustment")
    assert audit.actor == admin_user
    assert audit.target_id == str(txn.pk)
    assert audit.details == {
        "user_id": client_user.pk,
        "amount": "20.00",
        "reason": "Billing error",
        "balance_after": "20.00",
    }


@pytest.mark.django_db
def test_adjustment_create_debit_below_zero_refused_nothing_written(admin_user, client_user):
    # given
    adjustment_create(actor=admin_user, user=client_user, amount=D("5.00"), reason="Credit", idempotency_key="adj:1")
    # when / then
    with pytest.raises(InsufficientFunds):
        adjustment_create(
            actor=admin_user, user=client_user, amount=D("-5.01"), reason="Debit", idempotency_key="adj:2"
        )
    assert wallet_account(client_user).balance == D("5.00")
    assert AuditLog.objects.filter(action="wallet.adjustment").count() == 1
    adjustment_create(actor=admin_user, user=client_user, amount=D("-5.00"), reason="Debit", idempotency_key="adj:3")
    assert wallet_account(client_user).balance == 0


@pytest.mark.django_db
def test_adjustment_create_replay_returns_first_and_audits_once(admin_user, client_user):
    first = adjustment_create(actor=admin_user, user=client_user, amount=D("1.00"), reason="x", idempotency_key="adj:1")
    again = adjustment_create(actor=admin_user, user=client_user, amount=D("1.00"), reason="x", idempotency_key="adj:1")
    assert first.pk == again.pk
    assert AuditLog.objects.filter(action="wallet.adjustment").count() == 1
    with pytest.raises(IdempotencyConflict):
        adjustment_create(actor=admin_user, user=client_user, amount=D("2.00"), reason="x", idempotency_key="adj:1")


@pytest.mark.django_db
def test_adjustment_create_non_admin_refused(client_user, other_client_user):
    with pytest.raises(PermissionDeniedError):
        adjustment_create(actor=client_user, user=other_client_user, amount=D("5.00"), reason="x", idempotency_key="a")
    assert not Transaction.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("amount", "reason", "error"),
    [
        (D("5.00"), "  ", DomainError),
        (D("0.00"), "x", InvalidAmount),
        (D("0.005"), "x", InvalidAmount),
        (D("10000.01"), "x", InvalidAmount),
    ],
)
def test_adjustment_create_bad_input_refused_nothing_written(admin_user, client_user, amount, reason, error):
    with pytest.raises(error):
        adjustment_create(actor=admin_user, user=client_user, amount=amount, reason=reason, idempotency_key="a")
    assert not Transaction.objects.exists()
    assert not AuditLog.objects.filter(action="wallet.adjustment").exists()
