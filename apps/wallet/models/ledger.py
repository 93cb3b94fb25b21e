"""The double-entry ledger: Account, Transaction, Posting (SPEC §3).

Ledger rows (transactions and postings) are append-only: the models refuse updates and deletes, and on
PostgreSQL triggers refuse them too (migration 0001), and a deferred constraint trigger refuses, at commit,
any transaction whose postings do not sum to zero. Rows are written by ``apps.wallet.services.ledger`` only.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from apps.wallet.enums import (
    HOLD_ACCOUNT_KINDS,
    LOCKABLE_ACCOUNT_KINDS,
    NON_NEGATIVE_ACCOUNT_KINDS,
    AccountKind,
    FreezeSource,
    TransactionKind,
)

__all__ = ["Account", "LedgerCheckRun", "Posting", "Transaction"]

MONEY = {"max_digits": 12, "decimal_places": 2}


class Account(models.Model):
    """One ledger account. ``balance`` is a cache kept only for lockable accounts (wallets, earnings, holds).

    House accounts (platform:*, stripe:cash, payouts:in_transit) keep ``balance`` at zero forever: updating
    one shared row per transaction would serialise every payment on the platform. Their balance is the sum
    of their postings (``apps.wallet.selectors.balance_of``).
    """

    FreezeSource = FreezeSource

    code = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=32, choices=AccountKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_accounts"
    )
    balance = models.DecimalField(default=0, **MONEY)
    is_frozen = models.BooleanField(default=False)
    frozen_reason = models.CharField(max_length=255, blank=True)
    frozen_at = models.DateTimeField(null=True, blank=True)
    # What froze it: a won dispute lifts only a dispute freeze; a lost dispute or an admin freeze waits for an admin.
    frozen_source = models.CharField(max_length=16, choices=FreezeSource.choices, blank=True)
    # What a hold holds money for (apps.wallet.hold_subjects): "session" and the reading's id, "refund" and the
    # refund's id... Empty on every other account.
    subject_type = models.CharField(max_length=32, blank=True, default="", db_default="")
    subject_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # One hold per subject; the unique index also serves lookups by subject.
            models.UniqueConstraint(
                fields=["subject_type", "subject_id"],
                condition=~models.Q(subject_type=""),
                name="wallet_account_one_hold_per_subject",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(kind__in=sorted(HOLD_ACCOUNT_KINDS), subject_id__isnull=False) & ~models.Q(subject_type="")
                )
                | (~models.Q(kind__in=sorted(HOLD_ACCOUNT_KINDS)) & models.Q(subject_type="", subject_id__isnull=True)),
                name="wallet_account_hold_has_subject",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind__in=sorted(NON_NEGATIVE_ACCOUNT_KINDS)) | models.Q(balance__gte=0),
                name="wallet_account_non_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=sorted(LOCKABLE_ACCOUNT_KINDS)) | models.Q(balance=0),
                name="wallet_account_house_not_cached",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_lockable(self) -> bool:
        return self.kind in LOCKABLE_ACCOUNT_KINDS


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):  # type: ignore[override]
        raise PermissionError("Ledger rows are append-only; post a reversing transaction instead.")

    def delete(self):  # type: ignore[override]
        raise PermissionError("Ledger rows are append-only; post a reversing transaction instead.")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise PermissionError("Ledger rows are append-only; post a reversing transaction instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Ledger rows are append-only; post a reversing transaction instead.")


class Transaction(AppendOnlyModel):
    """One movement of money: two or more postings that sum to zero, posted once per idempotency key."""

    kind = models.CharField(max_length=32, choices=TransactionKind.choices)
    idempotency_key = models.CharField(max_length=200, unique=True)
    # sha256 of what the money is (kind, user, postings): the same key with other parameters is refused.
    params_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_transactions"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # What the money moved for (apps.wallet.hold_subjects): a subject type and its id, for every domain. The
    # apps these refer to are separate; plain ids keep the ledger independent of them. session_id, booking_id
    # and order_id predate the pair and are still written for readings; a new domain uses only the pair.
    subject_type = models.CharField(max_length=32, blank=True, default="", db_default="")
    subject_id = models.BigIntegerField(null=True, blank=True)
    session_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    booking_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    order_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    stripe_event_id = models.CharField(max_length=255, blank=True)
    stripe_payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_checkout_session_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_refund_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_dispute_id = models.CharField(max_length=255, blank=True, db_index=True)
    memo = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="wallet_txn_user_created"),
            # Date ranges over the whole ledger (the admin analytics, reconciliation windows).
            models.Index(fields=["created_at"], name="wallet_txn_created"),
            models.Index(
                fields=["subject_type", "subject_id"], condition=~models.Q(subject_type=""), name="wallet_txn_subject"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class Posting(AppendOnlyModel):
    """One leg of a transaction: a signed amount on one account (positive = into the account)."""

    # The unique (transaction, account) and the (account, transaction) indexes serve both foreign keys.
    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="postings", db_index=False)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings", db_index=False)
    amount = models.DecimalField(**MONEY)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="wallet_posting_non_zero"),
            models.UniqueConstraint(fields=["transaction", "account"], name="wallet_posting_one_per_account"),
        ]
        indexes = [models.Index(fields=["account", "transaction"], name="wallet_posting_account_txn")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount}"


class LedgerCheckRun(models.Model):
    """One run of the ledger check (``manage.py ledger_check`` or the nightly job) and its report."""

    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    is_ok = models.BooleanField(null=True)
    report = models.JSONField(default=dict, blank=True)
    trigger = models.CharField(max_length=32, default="command")

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"ledger check {self.started_at:%Y-%m-%d %H:%M} ok={self.is_ok}"
