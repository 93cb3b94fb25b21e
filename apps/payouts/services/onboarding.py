"""Stripe Connect Express onboarding and the KYC mirror of each reader's account (``account.updated``, a
re-read on return from onboarding, ``account.application.deauthorized``)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.core.services import audit_log_record
from apps.notifications.services import notify
from apps.wallet import stripe_gateway

from .. import selectors
from ..exceptions import ReaderNotFound
from ..locks import (
    payout_account_lock,
    payouts_pending_lock,
)
from ..models import PayoutAccount
from .payouts import KYC_CHANGED_KIND, _payout_return, _pending_transfers_resend

# --- Connect onboarding and KYC ----------------------------------------------------------------------


def connect_onboarding_link(*, reader: Any, return_url: str, refresh_url: str) -> str:
    """The Stripe-hosted onboarding page for ``reader`` (their Express account is created on the first visit).

    Stripe is called outside any transaction; the account creation's idempotency key is the reader's, so two
    clicks at once create one account."""
    account = payout_account_of_create(reader=reader)
    account_id = account.stripe_account_id
    if not account_id or account.deauthorized_at is not None:
        suffix = f":{int(account.deauthorized_at.timestamp())}" if account.deauthorized_at else ""
        created = stripe_gateway.connect_account_create(
            user_id=reader.pk, email=reader.email, idempotency_key=f"connect-account:{reader.pk}{suffix}"
        )
        account = _connect_account_attach(reader=reader, stripe_account=created)
        account_id = account.stripe_account_id
    link = stripe_gateway.connect_account_link_create(
        account_id=str(account_id), return_url=return_url, refresh_url=refresh_url
    )
    return str(link["url"])


@transaction.atomic(durable=True)
def payout_account_of_create(*, reader: Any) -> PayoutAccount:
    if not getattr(reader, "is_reader", False):
        raise ReaderNotFound()
    return payout_account_lock(reader=reader)


@transaction.atomic(durable=True)
def _connect_account_attach(*, reader: Any, stripe_account: dict[str, Any]) -> PayoutAccount:
    account = payout_account_lock(reader=reader)
    if account.stripe_account_id == stripe_account["id"]:
        return account
    if account.stripe_account_id and account.deauthorized_at is None:
        return account  # another request attached one first (the same one, by the idempotency key)
    previous = account.stripe_account_id
    account.stripe_account_id = stripe_account["id"]
    account.deauthorized_at = None
    _mirror(account, stripe_account)
    account.save()
    audit_log_record(
        actor=reader,
        action="payouts.connect_account_created",
        target=account,
        details={"stripe_account": stripe_account["id"], "previous": previous},
    )
    return account


def _mirror(account: PayoutAccount, stripe_account: dict[str, Any]) -> list[str]:
    """Copy Stripe's view of the account onto ``account``; returns the fields that changed."""
    requirements = stripe_account.get("requirements") or {}
    capabilities = stripe_account.get("capabilities") or {}
    values = {
        "details_submitted": bool(stripe_account.get("details_submitted")),
        "payouts_enabled": bool(stripe_account.get("payouts_enabled")),
        "transfers_active": capabilities.get("transfers") == "active",
        "requirements_currently_due": list(requirements.get("currently_due") or []),
        "requirements_past_due": list(requirements.get("past_due") or []),
        "disabled_reason": str(requirements.get("disabled_reason") or "")[:100],
    }
    changed = [field for field, value in values.items() if getattr(account, field) != value]
    for field, value in values.items():
        setattr(account, field, value)
    account.stripe_synced_at = timezone.now()
    return changed


@transaction.atomic(durable=True)
def connect_account_sync(*, stripe_account: dict[str, Any], source: str) -> PayoutAccount | None:
    """Mirror a Connect account's KYC state (``account.updated``, or a re-read on return from onboarding).
    An account that is not a reader's here is ignored. Changes are audited; a reader who became payable gets the
    payout that waited for it sent."""
    found = PayoutAccount.objects.filter(stripe_account_id=stripe_account.get("id")).values_list("reader", flat=True)
    reader_id = found.first()
    if reader_id is None:
        return None
    account = payout_account_lock(reader=get_user_model()(pk=reader_id))
    was_verified, was_stripe_verified = account.is_verified, account.stripe_verified
    changed = _mirror(account, stripe_account)
    account.save()
    if changed:
        audit_log_record(
            actor=None,
            action="payouts.kyc_updated",
            target=account,
            details={
                "source": source,
                "changed": changed,
                "payouts_enabled": account.payouts_enabled,
                "currently_due": account.requirements_currently_due,
                "past_due": account.requirements_past_due,
                "disabled_reason": account.disabled_reason,
            },
        )
    if account.is_verified and not was_verified:
        _pending_transfers_resend(reader_ids=[reader_id], reason="verified")
    if account.stripe_verified != was_stripe_verified:
        notify(
            user=account.reader,
            kind=KYC_CHANGED_KIND,
            title=(
                "Stripe has verified your payout account"
                if account.stripe_verified
                else "Stripe needs more details before it can pay you"
            ),
            url=reverse("payouts:home"),
            email=not account.stripe_verified,
        )
    return account


def connect_account_refresh(*, reader: Any) -> PayoutAccount | None:
    """Read the reader's account from Stripe again (they came back from onboarding) and mirror it."""
    account = selectors.payout_account_of(reader=reader)
    if account is None or not account.stripe_account_id:
        return account
    stripe_account = stripe_gateway.connect_account_retrieve(account.stripe_account_id)
    return connect_account_sync(stripe_account=stripe_account, source="return")


@transaction.atomic(durable=True)
def connect_account_deauthorized(*, stripe_account_id: str) -> PayoutAccount | None:
    """The reader disconnected their account from SoulSeer: it can no longer receive transfers. Payouts not yet
    transferred come back to earnings; admins are told."""
    reader_id = (
        PayoutAccount.objects.filter(stripe_account_id=stripe_account_id).values_list("reader", flat=True).first()
    )
    if reader_id is None:
        return None
    account = payout_account_lock(reader=get_user_model()(pk=reader_id))
    if account.deauthorized_at is not None:
        return account
    account.deauthorized_at = timezone.now()
    account.payouts_enabled = False
    account.transfers_active = False
    account.save()
    audit_log_record(
        actor=None, action="payouts.connect_deauthorized", target=account, details={"stripe_account": stripe_account_id}
    )
    for payout in payouts_pending_lock(reader_id=reader_id):
        _payout_return(payout, reason="The reader's Stripe account was disconnected from SoulSeer.")
    return account
