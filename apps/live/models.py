"""Livestreams (SPEC §7): a reader's stream, who may watch it, what viewers pay and say in it.

Money never lives here: a ticket or a gift row points at its ledger transaction, written in the same database
transaction (``services``), and the reader's earnings are read back from the ledger's postings.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from .constants import (
    CHAT_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    GIFT_MAX_AMOUNT,
    GIFT_MIN_AMOUNT,
    TICKET_MAX_AMOUNT,
    TICKET_MIN_AMOUNT,
    TITLE_MAX_LENGTH,
)
from .enums import Animation, EndReason, EventKind, StreamState, Visibility

MONEY = {"max_digits": 12, "decimal_places": 2}


class Stream(models.Model):
    host = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="streams_hosted")
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    description = models.TextField(max_length=DESCRIPTION_MAX_LENGTH, blank=True)
    visibility = models.CharField(max_length=8, choices=Visibility.choices, default=Visibility.PUBLIC)
    ticket_price_amount = models.DecimalField(null=True, blank=True, **MONEY)
    scheduled_start_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=StreamState.choices, default=StreamState.SCHEDULED)
    end_reason = models.CharField(max_length=12, choices=EndReason.choices, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # <kind>.<id>.<HMAC> (apps.rtc.channels): unguessable without the server's secret.
    channel_name = models.CharField(max_length=64, blank=True)
    host_seen_at = models.DateTimeField(null=True, blank=True)
    peak_viewers = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    visibility=Visibility.PREMIUM,
                    ticket_price_amount__gte=TICKET_MIN_AMOUNT,
                    ticket_price_amount__lte=TICKET_MAX_AMOUNT,
                )
                | (~Q(visibility=Visibility.PREMIUM) & Q(ticket_price_amount__isnull=True)),
                name="stream_ticket_price_for_premium_only",
            ),
            models.CheckConstraint(
                condition=Q(state=StreamState.SCHEDULED, started_at__isnull=True, ended_at__isnull=True)
                | Q(state=StreamState.LIVE, started_at__isnull=False, ended_at__isnull=True)
                | Q(state=StreamState.ENDED, ended_at__isnull=False),
                name="stream_times_match_state",
            ),
            models.CheckConstraint(
                condition=Q(started_at__isnull=True) | Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")),
                name="stream_ends_after_start",
            ),
            models.UniqueConstraint(
                fields=["host"], condition=Q(state=StreamState.LIVE), name="stream_one_live_per_host"
            ),
        ]
        indexes = [
            models.Index(fields=["state", "-started_at"], name="stream_state_recent"),
            models.Index(fields=["host", "-created_at"], name="stream_host_recent"),
        ]

    def __str__(self) -> str:
        return f"Stream {self.pk}: {self.title}"

    @property
    def is_live(self) -> bool:
        return self.state == StreamState.LIVE

    @property
    def is_premium(self) -> bool:
        return self.visibility == Visibility.PREMIUM

    @property
    def duration(self):  # type: ignore[no-untyped-def]
        if self.started_at is None or self.ended_at is None:
            return None
        return self.ended_at - self.started_at


class StreamInvite(models.Model):
    """Someone the host invited to a private stream; a revoked invite gives no access (and no new token)."""

    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="invites")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stream_invites")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["stream", "user"], name="stream_invite_once_per_user")]

    def __str__(self) -> str:
        return f"Invite of {self.user_id} to stream {self.stream_id}"


class StreamTicket(models.Model):
    """A paid entry to a premium stream: one per person and stream, paid by one ledger transaction."""

    stream = models.ForeignKey(Stream, on_delete=models.PROTECT, related_name="tickets")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="stream_tickets")
    price_amount = models.DecimalField(**MONEY)
    transaction = models.OneToOneField("wallet.Transaction", on_delete=models.PROTECT, related_name="stream_ticket")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["stream", "user"], name="stream_ticket_once_per_user"),
            models.CheckConstraint(condition=Q(price_amount__gt=0), name="stream_ticket_price_positive"),
        ]

    def __str__(self) -> str:
        return f"Ticket of {self.user_id} for stream {self.stream_id}"


class GiftKind(models.Model):
    """An entry of the gift catalog, managed by admins at /staff/live/gifts/."""

    name = models.CharField(max_length=40, unique=True)
    price_amount = models.DecimalField(**MONEY)
    animation = models.CharField(max_length=12, choices=Animation.choices)
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "price_amount", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price_amount__gte=GIFT_MIN_AMOUNT, price_amount__lte=GIFT_MAX_AMOUNT),
                name="gift_kind_price_in_bounds",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StreamGift(models.Model):
    """A gift sent in a stream: its ledger transaction (wallet → reader 70% / platform 30%) and its event."""

    stream = models.ForeignKey(Stream, on_delete=models.PROTECT, related_name="gifts")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="stream_gifts_sent")
    gift_kind = models.ForeignKey(GiftKind, on_delete=models.PROTECT, related_name="+")
    # Snapshots: a later catalog change never rewrites what was sent.
    name = models.CharField(max_length=40)
    animation = models.CharField(max_length=12, choices=Animation.choices)
    price_amount = models.DecimalField(**MONEY)
    reader_amount = models.DecimalField(**MONEY)
    transaction = models.OneToOneField("wallet.Transaction", on_delete=models.PROTECT, related_name="stream_gift")
    # The sender's idempotency key: the same key again is the same gift.
    client_key = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sender", "client_key"], name="stream_gift_once_per_key"),
            models.CheckConstraint(
                condition=Q(price_amount__gt=0, reader_amount__gte=0, reader_amount__lte=F("price_amount")),
                name="stream_gift_amounts",
            ),
        ]
        indexes = [models.Index(fields=["stream", "sender"], name="stream_gift_by_sender")]

    def __str__(self) -> str:
        return f"{self.name} in stream {self.stream_id}"


class StreamEvent(models.Model):
    """What happened in a stream, in order: went live, joins, tickets, gifts, the end. Read by polling."""

    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=8, choices=EventKind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    gift = models.OneToOneField(StreamGift, on_delete=models.CASCADE, null=True, blank=True, related_name="event")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=EventKind.GIFT, gift__isnull=False) | (~Q(kind=EventKind.GIFT) & Q(gift__isnull=True)),
                name="stream_event_gift_has_gift",
            ),
        ]
        indexes = [models.Index(fields=["stream", "id"], name="stream_event_in_order")]

    def __str__(self) -> str:
        return f"{self.kind} in stream {self.stream_id}"


class StreamMessage(models.Model):
    """One line of a stream's chat. A moderator's hide takes it off every viewer's chat."""

    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stream_messages")
    body = models.TextField(max_length=CHAT_MAX_LENGTH)
    hidden_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [models.CheckConstraint(condition=~Q(body=""), name="stream_message_body_not_empty")]
        indexes = [
            models.Index(fields=["stream", "-id"], condition=Q(hidden_at__isnull=True), name="stream_message_shown"),
        ]

    def __str__(self) -> str:
        return f"Message {self.pk} in stream {self.stream_id}"

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class StreamViewer(models.Model):
    """Someone watching (or who watched) a stream, kept by their page's heartbeats; the host may remove them."""

    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="viewers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="streams_watched")
    joined_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField()
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["stream", "user"], name="stream_viewer_once_per_user")]
        indexes = [models.Index(fields=["stream", "-last_seen_at"], name="stream_viewer_recent")]

    def __str__(self) -> str:
        return f"{self.user_id} watching stream {self.stream_id}"

    @property
    def removed_by_host(self) -> bool:
        return self.removed_at is not None


class StreamFollowerAlert(models.Model):
    """One row per stream and follower told it went live: the key that makes the alert go out once."""

    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["stream", "user"], name="stream_alert_once_per_follower")]

    def __str__(self) -> str:
        return f"Alert of stream {self.stream_id} to {self.user_id}"
