"""Alerts to the admins (in-app and email, through ``notify_admins``) about money that needs a person: a ledger
check violation, a reconciliation with Stripe that does not match, a dispute opened, a Stripe event that keeps
failing. Each is raised inside the transaction that records the fact, so it is sent once with it."""

from __future__ import annotations

from django.urls import reverse

from apps.notifications.registry import notification_kind_register

LEDGER_CHECK_FAILED = notification_kind_register("account.alert_ledger_check", label="Alert: the ledger check failed")
RECONCILIATION_MISMATCH = notification_kind_register(
    "account.alert_reconciliation", label="Alert: Stripe reconciliation found differences"
)
DISPUTE_OPENED = notification_kind_register("account.alert_dispute_opened", label="Alert: a payment dispute opened")
STRIPE_EVENT_FAILING = notification_kind_register(
    "account.alert_stripe_event_failing", label="Alert: a Stripe event keeps failing"
)

# A Stripe event that failed this many times is reported (once: on exactly this attempt).
STRIPE_EVENT_ALERT_ATTEMPTS = 10


def admin_alert(*, kind: str, title: str, body: str, url_name: str) -> int:
    """Tell every admin. Runs in the caller's transaction (the emails leave through the outbox on commit)."""
    from apps.notifications.services import notify_admins

    return notify_admins(kind=kind, title=title, body=body, url=reverse(url_name), email=True)
