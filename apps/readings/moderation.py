"""How the moderation queue handles what the parties of a reading write: reviews and chat lines (registered in
ReadingsConfig.ready).

A review is public on the reader's profile, so any signed-in user but its author may report it while it is shown;
hiding it takes it off the profile and out of the reader's rating, and its two parties see the reason. A chat
line is seen only by the two parties: the other party may report it from the room or the transcript; hidden, it
shows to both as "hidden by a moderator".
"""

from typing import Any

from django.db.models import Q
from django.utils import timezone

from apps.moderation.registry import ContentSummary, ModeratableType
from apps.readers.models import ReaderProfile
from apps.readers.selectors import reader_listed_q

from .enums import SessionState
from .models import ReadingSession, Review, SessionMessage
from .services.reviews import reader_rating_refresh

REVIEW_TYPE_KEY = "readings.review"
CHAT_MESSAGE_TYPE_KEY = "readings.chat_message"


# --- Reviews -------------------------------------------------------------------------------------------------


def review_reportable_get(*, user: Any, object_id: int) -> Review:
    """A shown review ``user`` did not write, of a listed reader (on their public profile) or of ``user``
    themselves (on the reading's summary). Raises Review.DoesNotExist otherwise."""
    listed = ReaderProfile.objects.filter(reader_listed_q()).values("user_id")
    return (
        Review.objects.filter(is_hidden=False)
        .exclude(client_id=user.pk)
        .filter(Q(reader_id=user.pk) | Q(reader_id__in=listed))
        .get(pk=object_id)
    )


def review_hide(*, obj: Review, actor: Any, reason: str) -> bool:
    """Hide a review with the reason its parties are shown; the reader's rating no longer counts it.
    Inner helper: the caller holds the transaction and audits the decision."""
    hidden = Review.objects.filter(pk=obj.pk, is_hidden=False).update(
        is_hidden=True, hidden_reason=reason[:1000], hidden_at=timezone.now(), hidden_by=actor
    )
    if hidden:
        reader_rating_refresh(reader_user_id=obj.reader_id)
    return hidden == 1


def review_unhide(*, obj: Review, actor: Any) -> bool:
    """Show a hidden review again and count it in the reader's rating. Inner helper, like ``review_hide``."""
    shown = Review.objects.filter(pk=obj.pk, is_hidden=True).update(
        is_hidden=False, hidden_reason="", hidden_at=None, hidden_by=None
    )
    if shown:
        reader_rating_refresh(reader_user_id=obj.reader_id)
    return shown == 1


def review_summary(review: Review) -> ContentSummary:
    text = review.body or "(stars only, no text)"
    if review.replied_at is not None:
        text += f"\n\nThe reader's reply: {review.reply_body}"
    context = f"{review.rating}/5 review of reading #{review.session_id} for {review.reader.public_name}"
    if review.is_hidden:
        context += f"; shown reason: {review.hidden_reason}"
    return ContentSummary(author=review.client, text=text, is_hidden=review.is_hidden, context=context)


REVIEW_MODERATION = ModeratableType(
    key=REVIEW_TYPE_KEY,
    label="Review",
    model=Review,
    reportable_get=review_reportable_get,
    hide=review_hide,
    unhide=review_unhide,
    summary=review_summary,
)


# --- Chat lines of a reading -----------------------------------------------------------------------------------


def chat_message_reportable_get(*, user: Any, object_id: int) -> SessionMessage:
    """A shown chat line the other party wrote in one of ``user``'s readings (raises DoesNotExist)."""
    return (
        SessionMessage.objects.filter(Q(session__client_id=user.pk) | Q(session__reader_id=user.pk))
        .exclude(sender_id=user.pk)
        .filter(hidden_at__isnull=True)
        .get(pk=object_id)
    )


def chat_message_hide(*, obj: SessionMessage, actor: Any, reason: str) -> bool:
    """Hide a chat line from both parties. Inner helper: the caller holds the transaction and audits it."""
    return SessionMessage.objects.filter(pk=obj.pk, hidden_at__isnull=True).update(hidden_at=timezone.now()) == 1


def chat_message_unhide(*, obj: SessionMessage, actor: Any) -> bool:
    """Show a hidden chat line again. Inner helper, like ``chat_message_hide``."""
    return SessionMessage.objects.filter(pk=obj.pk, hidden_at__isnull=False).update(hidden_at=None) == 1


def chat_message_summary(message: SessionMessage) -> ContentSummary:
    return ContentSummary(
        author=message.sender,
        text=message.body,
        is_hidden=message.is_hidden,
        context=f"Chat of reading #{message.session_id}",
    )


CHAT_MESSAGE_MODERATION = ModeratableType(
    key=CHAT_MESSAGE_TYPE_KEY,
    label="Reading chat message",
    model=SessionMessage,
    reportable_get=chat_message_reportable_get,
    hide=chat_message_hide,
    unhide=chat_message_unhide,
    summary=chat_message_summary,
)


# --- Trust levels ----------------------------------------------------------------------------------------------


def has_completed_reading(user: Any) -> bool:
    """Activity that lifts an account past the NEW trust level: a finished reading, as client or reader."""
    return (
        ReadingSession.objects.filter(Q(client_id=user.pk) | Q(reader_id=user.pk))
        .filter(state=SessionState.FINALIZED)
        .exists()
    )
