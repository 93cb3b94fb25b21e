"""Reads of what the two parties write around a reading: chat messages, private notes, reviews.

Scoped like ``selectors``: a reading's messages only for its two parties, a note only for its author.
"""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from apps.sessions.enums import Modality
from apps.sessions.models import ReadingSession
from apps.sessions.models_after import Review, SessionMessage, SessionNote
from apps.sessions.selectors import session_get_for_participant

MESSAGES_PER_POLL = 200


def session_message_list(*, viewer: Any, session_id: int, after_id: int = 0) -> QuerySet[SessionMessage]:
    """The chat of a reading (oldest first), newer than ``after_id``; Http404 for anyone but the parties."""
    session = session_get_for_participant(viewer=viewer, session_id=session_id)
    return session.messages.filter(id__gt=after_id).select_related("sender").order_by("id")[:MESSAGES_PER_POLL]


def session_transcript_get(*, viewer: Any, session_id: int) -> tuple[ReadingSession, QuerySet[SessionMessage]]:
    """The whole transcript of a chat reading, for its two parties only (Http404 otherwise)."""
    session = session_get_for_participant(viewer=viewer, session_id=session_id)
    if session.modality != Modality.TEXT:
        raise Http404("Only chat readings have a transcript.")
    return session, session.messages.select_related("sender").order_by("id")


def session_note_get(*, viewer: Any, session: ReadingSession) -> SessionNote | None:
    """The viewer's own private note on ``session`` (which the caller already scoped to its parties)."""
    return SessionNote.objects.filter(session=session, author=viewer).first()


def session_review_get(*, session: ReadingSession, viewer: Any) -> Review | None:
    """The review of a reading, for its parties (the caller scoped ``session``); hidden ones stay visible to
    them with the moderation notice."""
    if viewer.pk not in (session.client_id, session.reader_id):
        return None
    return Review.objects.filter(session=session).first()


def review_public_list(*, reader_user_id: int, limit: int = 10) -> QuerySet[Review]:
    """Visible reviews of a reader, newest first, for their public profile."""
    return Review.objects.filter(reader_id=reader_user_id, is_hidden=False).select_related("client")[:limit]


def review_staff_list(*, viewer: Any, hidden: bool | None = None) -> QuerySet[Review]:
    """Every review, newest first, for the admins' moderation page."""
    if not getattr(viewer, "is_staff", False):
        raise Http404
    qs = Review.objects.select_related("client", "reader", "hidden_by", "session")
    if hidden is not None:
        qs = qs.filter(is_hidden=hidden)
    return qs


def review_staff_get(*, viewer: Any, review_id: int) -> Review:
    review = review_staff_list(viewer=viewer).filter(pk=review_id).first()
    if review is None:
        raise Http404
    return review
