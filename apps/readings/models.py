"""Pay-per-minute readings: ReadingSession and its SessionEvent trail (SPEC §4).

Time accounting. A reading accrues *active time* only in ``active``, and only time both parties are proven
present for: from ``active_since_at`` up to the earlier of their last heartbeats. ``active_seconds`` holds
the seconds of the finished active periods (seconds as a Decimal to the microsecond, so rounding never
loses a billable instant). ``billed_until_at`` is the wall-clock instant at which the minutes already paid
run out if the current active period goes on; the billing tick charges the next minute once both parties
have been seen after it (``services.billing``). Outside ``active`` it is NULL.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .enums import ENGAGED_STATES, LIVE_STATES, Billing, EndReason, Modality, SessionState

MONEY = {"max_digits": 12, "decimal_places": 2}


class ReadingSession(models.Model):
    # (client, -created_at) and (reader, -created_at) serve the foreign keys: no single-column index.
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="client_readings", db_index=False
    )
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reader_readings", db_index=False
    )
    modality = models.CharField(max_length=8, choices=Modality.choices)
    # Snapshots taken when the reading is requested: later changes of the reader's rates never apply.
    rate_amount = models.DecimalField("rate per minute", **MONEY)
    reader_rate = models.DecimalField("reader share", max_digits=5, decimal_places=4, default=Decimal("0.7000"))
    spending_cap_amount = models.DecimalField("spending limit", null=True, blank=True, **MONEY)
    intake_note = models.TextField(max_length=1000, blank=True)

    # Prepaid readings (``enums.Billing``): another app took the payment (a booking's flat price) and is named by
    # a generic subject pair, like the wallet's holds; the reading ends at the booked end and charges nothing.
    billing = models.CharField(max_length=16, choices=Billing.choices, default=Billing.PER_MINUTE)
    prepaid_subject_type = models.CharField(max_length=32, blank=True)
    prepaid_subject_id = models.BigIntegerField(null=True, blank=True)
    prepaid_until_at = models.DateTimeField("booked until", null=True, blank=True)
    prepaid_amount = models.DecimalField("price paid in advance", null=True, blank=True, **MONEY)

    state = models.CharField(max_length=16, choices=SessionState.choices, default=SessionState.CREATED)
    end_reason = models.CharField(max_length=32, choices=EndReason.choices, blank=True)
    channel_name = models.CharField(max_length=64, blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    finalized_at = models.DateTimeField(null=True, blank=True)

    # Active time (see the module docstring).
    active_seconds = models.DecimalField(max_digits=16, decimal_places=6, default=Decimal("0"))
    active_since_at = models.DateTimeField(null=True, blank=True)
    billed_until_at = models.DateTimeField(null=True, blank=True)
    minutes_billed = models.PositiveIntegerField(default=0)
    charged_amount = models.DecimalField(default=Decimal("0.00"), **MONEY)

    # Presence.
    client_heartbeat_at = models.DateTimeField(null=True, blank=True)
    reader_heartbeat_at = models.DateTimeField(null=True, blank=True)
    reconnect_count = models.PositiveSmallIntegerField(default=0)
    reconnecting_since_at = models.DateTimeField(null=True, blank=True)
    grace_used_seconds = models.DecimalField(max_digits=12, decimal_places=6, default=Decimal("0"))

    # Low balance.
    pause_started_at = models.DateTimeField(null=True, blank=True)
    pause_count = models.PositiveIntegerField(default=0)
    paused_seconds = models.DecimalField(max_digits=16, decimal_places=6, default=Decimal("0"))

    # Accounts of the reading (set on activation): the client's wallet and hold:session:<id>.
    # Never looked up by account (and accounts are never deleted): no index to keep up to date.
    wallet_account = models.ForeignKey(
        "wallet.Account", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    hold_account = models.ForeignKey(
        "wallet.Account", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )

    # Settlement (set on finalization).
    reader_share_amount = models.DecimalField(null=True, blank=True, **MONEY)
    platform_share_amount = models.DecimalField(null=True, blank=True, **MONEY)
    summary = models.JSONField(default=dict, blank=True)
    # Failed settlements: the tick settles the least-tried readings first, so one that keeps failing never
    # holds up the others; the admins are told once (``services.settlement``).
    settlement_attempts = models.PositiveIntegerField(default=0)
    settlement_error = models.TextField(blank=True)
    settlement_alerted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One live reading per client (waiting included) and one reading in progress per reader. These are
            # partial unique indexes: on PostgreSQL, AlterField(db_index=...) on client or reader drops every
            # index on the column that is not in Meta.indexes, these included (migration 0003 did; 0004 put
            # them back). tests/test_schema_matches_models.py fails if a migration drops them again.
            models.UniqueConstraint(
                fields=["client"], condition=Q(state__in=sorted(LIVE_STATES)), name="livesession_one_live_per_client"
            ),
            models.UniqueConstraint(
                fields=["reader"], condition=Q(state__in=sorted(ENGAGED_STATES)), name="livesession_one_live_per_reader"
            ),
            models.CheckConstraint(condition=~Q(client=models.F("reader")), name="livesession_not_self"),
            models.CheckConstraint(condition=Q(rate_amount__gt=0), name="livesession_rate_positive"),
            models.CheckConstraint(
                condition=Q(reader_rate__gte=0, reader_rate__lte=1), name="livesession_reader_rate_range"
            ),
            models.CheckConstraint(condition=Q(state__in=SessionState.values), name="livesession_state_valid"),
            models.CheckConstraint(condition=Q(active_seconds__gte=0), name="livesession_active_non_negative"),
            models.CheckConstraint(
                condition=Q(charged_amount=models.F("minutes_billed") * models.F("rate_amount")),
                name="livesession_charged_matches_minutes",
            ),
            models.CheckConstraint(
                condition=Q(spending_cap_amount__isnull=True) | Q(spending_cap_amount__gt=0),
                name="livesession_cap_positive",
            ),
            models.CheckConstraint(condition=Q(billing__in=Billing.values), name="livesession_billing_valid"),
            # A prepaid reading names what paid for it and when it ends, and is never charged by the minute.
            models.CheckConstraint(
                condition=Q(
                    billing=Billing.PER_MINUTE,
                    prepaid_subject_type="",
                    prepaid_subject_id__isnull=True,
                    prepaid_until_at__isnull=True,
                    prepaid_amount__isnull=True,
                )
                | Q(
                    billing=Billing.PREPAID,
                    prepaid_subject_id__isnull=False,
                    prepaid_until_at__isnull=False,
                    prepaid_amount__gte=0,
                    minutes_billed=0,
                    spending_cap_amount__isnull=True,
                )
                & ~Q(prepaid_subject_type=""),
                name="livesession_prepaid_fields_match_billing",
            ),
            # One live reading per prepaid subject (a booking): opening it twice returns the same room.
            models.UniqueConstraint(
                fields=["prepaid_subject_type", "prepaid_subject_id"],
                condition=Q(billing=Billing.PREPAID, state__in=sorted(LIVE_STATES)),
                name="livesession_one_live_per_prepaid_subject",
            ),
        ]
        indexes = [
            # The billing tick: active readings whose paid time ran out.
            # The billing tick scans the active readings. No index holds a column the tick updates
            # (minutes, amount, billed_until_at, heartbeats), so with the table's fillfactor (migration
            # 0003) those updates are HOT: no index entry is written per minute or per heartbeat.
            models.Index(fields=["id"], condition=Q(state=SessionState.ACTIVE), name="livesession_active_idx"),
            # Date ranges of finished readings (analytics). Written once, when a reading ends, so the tick's
            # updates stay HOT.
            models.Index(fields=["ended_at"], condition=Q(ended_at__isnull=False), name="livesession_ended_idx"),
            models.Index(
                fields=["state", "created_at"],
                condition=Q(state__in=[SessionState.WAITING, SessionState.PAUSED, SessionState.RECONNECTING]),
                name="livesession_timeout_idx",
            ),
            # The settlement sweep: ended readings, least-tried first.
            models.Index(
                fields=["settlement_attempts", "id"],
                condition=Q(state=SessionState.ENDED),
                name="livesession_unsettled_idx",
            ),
            # Prepaid readings: by subject (their app asks how its readings went), and the tick ending those whose
            # booked time is over.
            models.Index(
                fields=["prepaid_subject_type", "prepaid_subject_id"],
                condition=Q(billing=Billing.PREPAID),
                name="livesession_prepaid_subj_idx",
            ),
            models.Index(
                fields=["prepaid_until_at"],
                condition=Q(billing=Billing.PREPAID, state__in=sorted(LIVE_STATES)),
                name="livesession_prepaid_due_idx",
            ),
            models.Index(fields=["client", "-created_at"], name="livesession_client_idx"),
            models.Index(fields=["reader", "-created_at"], name="livesession_reader_idx"),
        ]

    def __str__(self) -> str:
        return f"Reading #{self.pk} ({self.state})"

    @property
    def is_live(self) -> bool:
        return self.state in LIVE_STATES

    @property
    def became_active(self) -> bool:
        return self.accepted_at is not None

    @property
    def is_prepaid(self) -> bool:
        return self.billing == Billing.PREPAID

    @property
    def cost_amount(self) -> Decimal:
        """What the client paid for it: the minutes charged, or for a prepaid reading the flat price (what its
        summary settled, once finalized: nothing if it was refunded)."""
        if not self.is_prepaid:
            return self.charged_amount
        if self.state == SessionState.FINALIZED and "amount" in self.summary:
            return Decimal(self.summary["amount"])
        return self.prepaid_amount or Decimal("0.00")

    @property
    def idempotency_prefix(self) -> str:
        return f"session:{self.pk}"


class SessionEvent(models.Model):
    """One state transition of a reading, at server time, with the accounting at that moment."""

    session = models.ForeignKey(ReadingSession, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(max_length=16, choices=SessionState.choices)
    to_state = models.CharField(max_length=16, choices=SessionState.choices)
    reason = models.CharField(max_length=64, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    active_seconds = models.DecimalField(max_digits=16, decimal_places=6, default=Decimal("0"))
    minutes_billed = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["session", "at"], name="livesession_event_idx")]

    def __str__(self) -> str:
        return f"#{self.session_id}: {self.from_state} → {self.to_state} ({self.reason})"


# The chat transcript, private notes and reviews live in their own module; importing it here registers them.


# --- What the two parties write around a reading: chat transcript, private notes, the review. ---

MESSAGE_MAX_LENGTH = 2000
NOTE_MAX_LENGTH = 5000
REVIEW_MAX_LENGTH = 2000


class SessionMessage(models.Model):
    """One chat message of a reading, persisted on the server (the transcript of a text reading)."""

    session = models.ForeignKey("livesessions.ReadingSession", on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=MESSAGE_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)
    # Set when a moderator hides the line: both parties then see "hidden by a moderator" instead of the text.
    hidden_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["session", "id"], name="livesession_message_idx")]
        constraints = [models.CheckConstraint(condition=~Q(body=""), name="livesession_message_not_empty")]

    def __str__(self) -> str:
        return f"#{self.session_id} message {self.pk}"

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class SessionNote(models.Model):
    """The client's private note on a reading: only its author ever sees it."""

    session = models.ForeignKey("livesessions.ReadingSession", on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    body = models.TextField(max_length=NOTE_MAX_LENGTH, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "author"], name="livesession_note_once")]

    def __str__(self) -> str:
        return f"Note on #{self.session_id}"


class Review(models.Model):
    """The client's one review of a finalized, paid reading, the reader's one reply, and moderation."""

    session = models.OneToOneField("livesessions.ReadingSession", on_delete=models.PROTECT, related_name="review")
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews_written")
    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews_received")
    rating = models.PositiveSmallIntegerField()
    body = models.TextField(max_length=REVIEW_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    reply_body = models.TextField(max_length=REVIEW_MAX_LENGTH, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)

    is_hidden = models.BooleanField(default=False)
    hidden_reason = models.TextField(blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["reader", "is_hidden", "-created_at"], name="livesession_review_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="livesession_review_rating_range"),
            models.CheckConstraint(
                condition=Q(is_hidden=False) | ~Q(hidden_reason=""), name="livesession_review_hidden_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(replied_at__isnull=True) | ~Q(reply_body=""), name="livesession_review_reply_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"Review of #{self.session_id} ({self.rating}/5)"
