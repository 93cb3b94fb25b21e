"""After a reading: the client's private notes, one review per finalized paid reading, the reader's one reply.
Moderators hide and show reviews through the moderation queue (``apps/readings/moderation.py``). The reader's
rating aggregate always equals their visible reviews."""

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Avg, Count
from django.utils import timezone

from apps.core.exceptions import DomainError
from apps.moderation.guards import write_guard
from apps.notifications.registry import notification_kind_register
from apps.notifications.services import notify
from apps.readers.locks import reader_profile_lock
from apps.readers.models import ReaderProfile
from apps.readers.services import reader_rating_set
from apps.readings.enums import SessionState
from apps.readings.exceptions import SessionNotFound
from apps.readings.models import NOTE_MAX_LENGTH, REVIEW_MAX_LENGTH, ReadingSession, Review, SessionNote

NOTIFY_KIND_REVIEW = notification_kind_register("readings.review", label="A review of a reading")


class ReviewNotFound(SessionNotFound):
    default_message = "This review does not exist."


def _party_session(*, user: Any, session_id: int) -> ReadingSession:
    if not getattr(user, "is_authenticated", False):
        raise SessionNotFound()
    session = ReadingSession.objects.filter(pk=session_id).first()
    if session is None or user.pk not in (session.client_id, session.reader_id):
        raise SessionNotFound()
    return session


@transaction.atomic(durable=True)
def session_note_save(*, author: Any, session_id: int, body: str) -> SessionNote:
    """The client keeps a private note on one of their readings (any state). Only they ever see it."""
    session = _party_session(user=author, session_id=session_id)
    if author.pk != session.client_id:
        raise SessionNotFound()
    text = (body or "").strip()
    if len(text) > NOTE_MAX_LENGTH:
        raise DomainError(f"A note can be at most {NOTE_MAX_LENGTH} characters.")
    note, _ = SessionNote.objects.update_or_create(
        session=session, author=author, defaults={"body": text, "updated_at": timezone.now()}
    )
    return note


def reader_rating_refresh(*, reader_user_id: int) -> None:
    """Recompute the reader's rating from their visible reviews and store it.

    Inner helper: the caller holds the transaction. The reader profile is locked first, so concurrent reviews
    of one reader are counted one after the other and the stored aggregate is never stale.
    """
    try:
        reader_profile_lock(user_id=reader_user_id)
    except ReaderProfile.DoesNotExist:
        return
    totals = Review.objects.filter(reader_id=reader_user_id, is_hidden=False).aggregate(
        average=Avg("rating"), count=Count("id")
    )
    average = Decimal(str(totals["average"] or 0)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    reader_rating_set(reader_user_id=reader_user_id, average=average, count=totals["count"])


def review_allowed(session: ReadingSession) -> bool:
    """A review is for a finalized reading the client paid for (by the minute, or in advance and not refunded)."""
    return session.state == SessionState.FINALIZED and session.cost_amount > 0


@transaction.atomic(durable=True)
def review_create(*, client: Any, session_id: int, rating: int, body: str = "", now: datetime | None = None) -> Review:
    """The client reviews a finalized, paid reading once: 1–5 stars and an optional text."""
    session = _party_session(user=client, session_id=session_id)
    if client.pk != session.client_id:
        raise SessionNotFound()
    write_guard(client)
    if not review_allowed(session):
        raise DomainError("You can review a reading once it is finished and paid.")
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise DomainError("Choose a rating from 1 to 5 stars.")
    text = (body or "").strip()
    if len(text) > REVIEW_MAX_LENGTH:
        raise DomainError(f"A review can be at most {REVIEW_MAX_LENGTH} characters.")
    if Review.objects.filter(session=session).exists():
        raise DomainError("You have already reviewed this reading.")
    try:
        with transaction.atomic():
            review = Review.objects.create(
                session=session,
                client_id=session.client_id,
                reader_id=session.reader_id,
                rating=rating,
                body=text,
                created_at=now or timezone.now(),
            )
    except IntegrityError:
        raise DomainError("You have already reviewed this reading.")
    reader_rating_refresh(reader_user_id=session.reader_id)
    notify(
        user=session.reader,
        kind=NOTIFY_KIND_REVIEW,
        title=f"New {rating}-star review",
        body=text[:200],
        url=f"/readings/{session.pk}/summary/",
    )
    return review


@transaction.atomic(durable=True)
def review_reply(*, reader: Any, review_id: int, body: str, now: datetime | None = None) -> Review:
    """The reader replies once to a review of one of their readings."""
    if not getattr(reader, "is_authenticated", False):
        raise ReviewNotFound()
    text = (body or "").strip()
    if not text:
        raise DomainError("Write your reply first.")
    if len(text) > REVIEW_MAX_LENGTH:
        raise DomainError(f"A reply can be at most {REVIEW_MAX_LENGTH} characters.")
    if not Review.objects.filter(pk=review_id, reader=reader).exists():
        raise ReviewNotFound()
    write_guard(reader)
    # A conditional UPDATE: of two replies sent at once, exactly one lands.
    replied = Review.objects.filter(pk=review_id, reader=reader, replied_at__isnull=True).update(
        reply_body=text, replied_at=now or timezone.now()
    )
    if not replied:
        raise DomainError("You have already replied to this review.")
    return Review.objects.get(pk=review_id)
