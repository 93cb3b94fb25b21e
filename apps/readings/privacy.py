"""Personal data of pay-per-minute readings: the readings a user took part in with their summaries, chat
transcripts, private notes and reviews (see ``apps/core/privacy.py``). Deletion waits while a reading is live or
its money is still held; afterwards the reading rows stay (the ledger and the other party refer to them) without
the deleted user's words. Reviews keep their rating."""

from typing import Any

from django.db.models import Q

from apps.core.privacy import PersonalData, personal_data_register
from apps.notifications.services import notification_texts_remove

from .enums import LIVE_STATES, SessionState
from .models import ReadingSession, Review, SessionMessage, SessionNote

REMOVED = "[Removed when the account was deleted.]"
HIDDEN = "[Hidden by a moderator.]"

READING_FIELDS = (
    "id",
    "client_id",
    "reader_id",
    "modality",
    "billing",
    "state",
    "end_reason",
    "rate_amount",
    "spending_cap_amount",
    "intake_note",
    "created_at",
    "accepted_at",
    "ended_at",
    "finalized_at",
    "minutes_billed",
    "charged_amount",
    "prepaid_amount",
    "summary",
)


def _readings(user: Any) -> Any:
    return ReadingSession.objects.filter(Q(client=user) | Q(reader=user))


def _export(user: Any) -> list[dict[str, Any]]:
    readings = list(_readings(user).order_by("created_at", "pk").values(*READING_FIELDS))
    ids = [reading["id"] for reading in readings]
    transcripts: dict[int, list[dict[str, Any]]] = {}
    for message in SessionMessage.objects.filter(session_id__in=ids).order_by("pk"):
        own = message.sender_id == user.pk
        transcripts.setdefault(message.session_id, []).append(
            {
                "from": "you" if own else "the other party",
                "at": message.created_at,
                "text": message.body if (own or not message.is_hidden) else HIDDEN,
                "hidden_by_moderator": message.is_hidden,
            }
        )
    notes = dict(SessionNote.objects.filter(author=user, session_id__in=ids).values_list("session_id", "body"))
    reviews = {
        review["session_id"]: review
        for review in Review.objects.filter(session_id__in=ids).values(
            "session_id", "rating", "body", "created_at", "reply_body", "replied_at", "is_hidden"
        )
    }
    for reading in readings:
        is_client = reading.pop("client_id") == user.pk
        reading.pop("reader_id")
        reading["your_role"] = "client" if is_client else "reader"
        if not is_client:
            reading.pop("intake_note")  # the client's own words: in the client's export, not the reader's
        reading["transcript"] = transcripts.get(reading["id"], [])
        reading["your_note"] = notes.get(reading["id"], "")
        reading["review"] = reviews.get(reading["id"])
    return readings


def _blockers(user: Any) -> list[str]:
    reasons = []
    readings = _readings(user)
    if readings.filter(state__in=sorted(LIVE_STATES)).exists():
        reasons.append("A reading of yours is still in progress or waiting to start. End it first.")
    if readings.filter(state=SessionState.ENDED).exists():
        reasons.append(
            "A reading of yours has ended but its payment is still being settled. Try again in a few minutes."
        )
    return reasons


def _erase(user: Any) -> None:
    # The reader's notifications quoted the client's intake notes and reviews (the first 200 characters).
    quoted = [note[:200] for note in ReadingSession.objects.filter(client=user).values_list("intake_note", flat=True)]
    quoted += [body[:200] for body in Review.objects.filter(client=user).values_list("body", flat=True)]
    notification_texts_remove(texts=quoted, replacement=REMOVED)
    ReadingSession.objects.filter(client=user).exclude(intake_note="").update(intake_note="")
    SessionMessage.objects.filter(sender=user).update(body=REMOVED)
    SessionNote.objects.filter(author=user).delete()
    Review.objects.filter(client=user).update(body="")
    Review.objects.filter(reader=user, replied_at__isnull=False).update(reply_body=REMOVED)


personal_data_register(
    PersonalData(
        key="readings.readings",
        export=_export,
        erase=_erase,
        blockers=_blockers,
        models=(
            "livesessions.ReadingSession",
            "livesessions.SessionEvent",
            "livesessions.SessionMessage",
            "livesessions.SessionNote",
            "livesessions.Review",
        ),
    )
)
