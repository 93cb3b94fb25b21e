from django.conf import settings
from django.db import models
from django.db.models import F, Q

from .constants import MESSAGE_MAX_LENGTH


class Conversation(models.Model):
    """The one thread between a client and a reader. Only a client's first message opens it."""

    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="client_conversations")
    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reader_conversations")
    last_message_at = models.DateTimeField()
    # Set while the client blocks the reader: the reader cannot write in it.
    blocked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "reader"], name="conversation_once_per_pair"),
            models.CheckConstraint(condition=~Q(client=F("reader")), name="conversation_two_people"),
        ]
        indexes = [
            models.Index(fields=["client", "-last_message_at"], name="conversation_client_recent"),
            models.Index(fields=["reader", "-last_message_at"], name="conversation_reader_recent"),
        ]

    def __str__(self) -> str:
        return f"Conversation {self.pk}"

    @property
    def is_blocked(self) -> bool:
        return self.blocked_at is not None


class Message(models.Model):
    """One message. A paid reply keeps its text locked until the client's unlock posts its ledger transaction.

    Never hand a Message instance to a template or serializer: read through ``selectors``, which leave the
    text of a locked reply out of the query for everyone but its author.
    """

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages_sent")
    body = models.TextField(max_length=MESSAGE_MAX_LENGTH)
    is_paid = models.BooleanField(default=False)
    price_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    unlocked_at = models.DateTimeField(null=True, blank=True)
    # The paid_reply ledger transaction that unlocked it: the audit trail of the reply.
    transaction = models.OneToOneField(
        "wallet.Transaction", on_delete=models.PROTECT, null=True, blank=True, related_name="paid_reply"
    )
    read_at = models.DateTimeField(null=True, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(is_paid=True, price_amount__gt=0))
                | Q(is_paid=False, price_amount__isnull=True, unlocked_at__isnull=True, transaction__isnull=True),
                name="message_paid_has_price",
            ),
            models.CheckConstraint(
                condition=Q(unlocked_at__isnull=True, transaction__isnull=True)
                | Q(unlocked_at__isnull=False, transaction__isnull=False),
                name="message_unlocked_with_transaction",
            ),
            models.CheckConstraint(condition=~Q(body=""), name="message_body_not_empty"),
        ]
        indexes = [
            models.Index(fields=["conversation", "-id"], name="message_conversation_recent"),
            models.Index(fields=["conversation", "sender"], condition=Q(read_at__isnull=True), name="message_unread"),
        ]

    def __str__(self) -> str:
        return f"Message {self.pk}"

    @property
    def is_locked(self) -> bool:
        return self.is_paid and self.unlocked_at is None

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class EmailBatch(models.Model):
    """When a recipient was last emailed about a conversation: the key row that limits emails per window.

    Claimed by a conditional UPDATE, so two messages arriving at once send one email between them.
    """

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    last_emailed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "recipient"], name="email_batch_once_per_recipient"),
        ]

    def __str__(self) -> str:
        return f"Emails of conversation {self.conversation_id} to {self.recipient_id}"
