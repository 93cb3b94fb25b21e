"""Personal data of the wallet: the user's own ledger accounts with their transactions and postings, top-ups,
refunds and disputes (see ``apps/core/privacy.py``).

Ledger rows are never changed: after deletion they keep pointing at the anonymised account, as the books
require. Deletion waits while a dispute is open or a refund is on its way. Stripe's copies of the user's contact
details inside stored webhook payloads are removed."""

from typing import Any

from django.db.models import Q, TextField
from django.db.models.functions import Cast

from apps.core.privacy import PersonalData, personal_data_register

from .models import Account, Dispute, Posting, Refund, StripeEvent, TopUp

OPEN_DISPUTE_STATUSES = (Dispute.Status.OPEN, Dispute.Status.FUNDS_WITHDRAWN)
OPEN_REFUND_STATUSES = (Refund.Status.PENDING, Refund.Status.SUBMITTED)
# Keys of a Stripe object that carry a person's contact details.
CONTACT_KEYS = frozenset({"email", "customer_email", "receipt_email", "name", "phone", "address"})


def _export(user: Any) -> dict[str, Any]:
    accounts = list(Account.objects.filter(user=user).order_by("pk").values("id", "code", "kind", "balance"))
    postings = (
        Posting.objects.filter(account__user=user)
        .select_related("transaction", "account")
        .order_by("transaction__created_at", "transaction_id", "pk")
    )
    return {
        "accounts": [{key: value for key, value in account.items() if key != "id"} for account in accounts],
        "postings": [
            {
                "account": posting.account.code,
                "amount": posting.amount,
                "transaction_id": posting.transaction_id,
                "kind": posting.transaction.kind,
                "at": posting.transaction.created_at,
                "memo": posting.transaction.memo,
            }
            for posting in postings
        ],
        "topups": list(
            TopUp.objects.filter(user=user)
            .order_by("pk")
            .values("amount", "currency", "status", "stripe_payment_intent_id", "created_at")
        ),
        "refunds": list(
            Refund.objects.filter(user=user).order_by("pk").values("amount", "reason", "status", "created_at")
        ),
        "disputes": list(
            Dispute.objects.filter(user=user).order_by("pk").values("amount", "reason", "status", "created_at")
        ),
    }


def _blockers(user: Any) -> list[str]:
    reasons = []
    if Dispute.objects.filter(user=user, status__in=OPEN_DISPUTE_STATUSES).exists():
        reasons.append("A payment dispute about one of your top-ups is still open.")
    if Refund.objects.filter(user=user, status__in=OPEN_REFUND_STATUSES).exists():
        reasons.append("A refund to your card is still on its way.")
    if TopUp.objects.filter(user=user, status=TopUp.Status.PROCESSING).exists():
        reasons.append("A top-up payment is still being processed.")
    return reasons


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: (None if key in CONTACT_KEYS else _scrub(item)) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item) for item in value]
    return value


def _erase(user: Any) -> None:
    intents = [i for i in TopUp.objects.filter(user=user).values_list("stripe_payment_intent_id", flat=True) if i]
    events = StripeEvent.objects.annotate(text=Cast("payload", TextField())).filter(
        Q(payment_intent_id__in=intents) | Q(text__icontains=user.email)
    )
    for event in events:
        scrubbed = _scrub(event.payload)
        if scrubbed != event.payload:
            StripeEvent.objects.filter(pk=event.pk).update(payload=scrubbed)


personal_data_register(
    PersonalData(
        key="wallet.ledger",
        export=_export,
        erase=_erase,
        blockers=_blockers,
        models=(
            "wallet.Account",
            "wallet.Transaction",
            "wallet.TopUp",
            "wallet.Refund",
            "wallet.Dispute",
        ),
    )
)
