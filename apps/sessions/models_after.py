"""What the two parties write around a reading: the chat transcript, the client's private notes, the review.

Kept apart from ``models.py`` (the reading and its state machine); ``models.py`` imports this module so
Django registers the models under the app's label.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

MESSAGE_MAX_LENGTH = 2000
NOTE_MAX_LENGTH = 5000
REVIEW_MAX_LENGTH = 2000


class SessionMessage(models.Model):
    """One chat message of a reading, persisted on the server (the transcript of a text reading)."""

    session = models.ForeignKey("livesessions.ReadingSession", on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=MESSAGE_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["session", "id"], name="livesession_message_idx")]
        constraints = [models.CheckConstraint(condition=~Q(body=""), name="livesession_message_not_empty")]

    def __str__(self) -> str:
        return f"#{self.session_id} message {self.pk}"


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
