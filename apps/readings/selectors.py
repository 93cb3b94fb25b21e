"""Reads of live readings. Every selector is scoped to the two parties: anyone else gets a 404.

For the UI:
- ``session_get_for_participant(viewer=, session_id=)``: the reading (client and reader joined), else
  ``SessionNotFound`` (a 404);
- ``session_list_for_participant(viewer=)``: a user's readings as client or reader (history pages);
- ``session_requests_for_reader(reader=)``: waiting requests on the reader's dashboard;
- ``session_room_state(viewer=, session_id=)``: everything the room shows (state, counter, cost, funds,
  low-balance warning, pause and reconnect countdowns), as a dataclass;
- ``session_events_list(viewer=, session_id=)``: the state trail;
- ``session_charges_list(viewer=, session_id=)``: the ledger rows of the reading (the itemised receipt).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Max, OuterRef, Q, QuerySet, Subquery, Sum

from apps.core.exceptions import NotFound
from apps.core.memo import shared_read
from apps.readings.clock import db_now
from apps.readings.constants import LOW_BALANCE_WARNING_MINUTES, PAUSE_TIMEOUT, REQUEST_TIMEOUT
from apps.readings.enums import LIVE_STATES, Billing, Modality, SessionState
from apps.readings.exceptions import SessionNotFound
from apps.readings.models import ReadingSession, Review, SessionEvent, SessionMessage, SessionNote
from apps.readings.services.flow import grace_left_seconds
from apps.readings.services.transitions import confirmed_until, seconds_between
from apps.wallet.models import Transaction

S = SessionState


def session_list_for_participant(*, viewer: Any) -> QuerySet[ReadingSession]:
    if not getattr(viewer, "is_authenticated", False):
        return ReadingSession.objects.none()
    return ReadingSession.objects.filter(Q(client=viewer) | Q(reader=viewer)).select_related("client", "reader")


def session_get_for_participant(*, viewer: Any, session_id: int) -> ReadingSession:
    """The reading if ``viewer`` is its client or reader; ``SessionNotFound`` for anyone else (never leaks
    existence)."""
    session = session_list_for_participant(viewer=viewer).filter(pk=session_id).first()
    if session is None:
        raise SessionNotFound()
    return session


def session_requests_for_reader(*, reader: Any, now: datetime | None = None) -> QuerySet[ReadingSession]:
    """Requests still waiting for ``reader``'s answer (newest first)."""
    cutoff = (now or db_now()) - REQUEST_TIMEOUT
    return (
        ReadingSession.objects.filter(reader=reader, state=S.WAITING, billing=Billing.PER_MINUTE, created_at__gt=cutoff)
        .select_related("client")
        .order_by("-created_at")
    )


@shared_read
def session_live_for_user(*, user: Any) -> ReadingSession | None:
    """The reading ``user`` is in (or waiting for) right now, if any."""
    return session_list_for_participant(viewer=user).filter(state__in=LIVE_STATES).first()


@dataclass(frozen=True)
class RoomState:
    session_id: int
    role: str  # "client" or "reader"
    state: str
    modality: str
    rate_amount: Decimal
    minutes_billed: int
    charged_amount: Decimal
    active_seconds: int  # live: includes the current active period as far as heartbeats confirm it
    reconnect_count: int
    pause_count: int
    # Client only (None for the reader): what the wallet still pays for.
    wallet_balance: Decimal | None
    funds_minutes_left: int | None
    low_balance_warning: bool
    # Countdowns in whole seconds (None when not in that state).
    request_seconds_left: int | None
    pause_seconds_left: int | None
    grace_seconds_left: int | None
    end_reason: str
    is_live: bool
    # Prepaid readings (a booked time, paid in advance): the price, the booked end and the seconds left until it.
    is_prepaid: bool = False
    prepaid_amount: Decimal | None = None
    prepaid_until_at: datetime | None = None
    booked_seconds_left: int | None = None

    @property
    def booked_minutes_left(self) -> int | None:
        """The booked time left in started minutes (what the room shows)."""
        return None if self.booked_seconds_left is None else -(-self.booked_seconds_left // 60)


def session_room_state(*, viewer: Any, session_id: int, now: datetime | None = None) -> RoomState:
    """What the room shows to ``viewer`` (``SessionNotFound`` for anyone but the two parties).

    ``low_balance_warning`` is on while the client's wallet holds 2 minutes or fewer at the reading's rate
    (only in a live reading); the wallet figures are given to the client only.
    """
    now = now or db_now()
    session = session_get_for_participant(viewer=viewer, session_id=session_id)
    role = "client" if viewer.pk == session.client_id else "reader"
    active = session.active_seconds
    if session.state == S.ACTIVE and session.active_since_at is not None:
        active += seconds_between(session.active_since_at, confirmed_until(session, now))
    balance = minutes_left = None
    warning = False
    if role == "client" and not session.is_prepaid:
        from apps.wallet.services.ledger import wallet_account

        balance = wallet_account(session.client).balance
        minutes_left = int(balance // session.rate_amount)
        warning = session.state in LIVE_STATES and minutes_left <= LOW_BALANCE_WARNING_MINUTES
    request_left = pause_left = grace_left = None
    if session.state == S.WAITING and not session.is_prepaid:
        request_left = max(0, int((session.created_at + REQUEST_TIMEOUT - now).total_seconds()))
    if session.state == S.PAUSED and session.pause_started_at is not None:
        pause_left = max(0, int((session.pause_started_at + PAUSE_TIMEOUT - now).total_seconds()))
    if session.state == S.RECONNECTING:
        grace_left = int(grace_left_seconds(session, now))
    return RoomState(
        session_id=session.pk,
        role=role,
        state=session.state,
        modality=session.modality,
        rate_amount=session.rate_amount,
        minutes_billed=session.minutes_billed,
        charged_amount=session.charged_amount,
        active_seconds=int(active),
        reconnect_count=session.reconnect_count,
        pause_count=session.pause_count,
        wallet_balance=balance,
        funds_minutes_left=minutes_left,
        low_balance_warning=warning,
        request_seconds_left=request_left,
        pause_seconds_left=pause_left,
        grace_seconds_left=grace_left,
        end_reason=session.end_reason,
        is_live=session.state in LIVE_STATES,
        is_prepaid=session.is_prepaid,
        prepaid_amount=session.prepaid_amount,
        prepaid_until_at=session.prepaid_until_at,
        booked_seconds_left=(
            max(0, int((session.prepaid_until_at - now).total_seconds()))
            if session.prepaid_until_at is not None and session.state in LIVE_STATES
            else None
        ),
    )


@dataclass(frozen=True)
class PrepaidReadingStatus:
    reading_id: int
    state: str
    is_live: bool
    became_active: bool


def prepaid_reading_status(*, subject_type: str, subject_ids: list[int]) -> dict[int, PrepaidReadingStatus]:
    """For the app that paid for prepaid readings: per subject, its latest reading (one query whatever the count).
    A subject with a reading that ever became active is reported as such, whichever reading is latest."""
    rows = (
        ReadingSession.objects.filter(
            billing=Billing.PREPAID, prepaid_subject_type=subject_type, prepaid_subject_id__in=list(subject_ids)
        )
        .order_by("prepaid_subject_id", "pk")
        .values_list("prepaid_subject_id", "pk", "state", "accepted_at")
    )
    statuses: dict[int, PrepaidReadingStatus] = {}
    for subject_id, pk, state, accepted_at in rows:
        earlier = statuses.get(subject_id)
        statuses[subject_id] = PrepaidReadingStatus(
            reading_id=pk,
            state=state,
            is_live=state in LIVE_STATES,
            became_active=accepted_at is not None or (earlier is not None and earlier.became_active),
        )
    return statuses


def session_events_list(*, viewer: Any, session_id: int) -> QuerySet[SessionEvent]:
    session = session_get_for_participant(viewer=viewer, session_id=session_id)
    return session.events.select_related("actor").order_by("at", "pk")


def session_charges_list(*, viewer: Any, session_id: int) -> QuerySet[Transaction]:
    """The reading's ledger transactions (minute charges, then the settlement), oldest first."""
    session = session_get_for_participant(viewer=viewer, session_id=session_id)
    return Transaction.objects.filter(session_id=session.pk).prefetch_related("postings__account").order_by("pk")


# --- What the two parties write around a reading: chat messages, private notes, reviews. ---

MESSAGES_PER_POLL = 200


def session_message_list(*, viewer: Any, session_id: int, after_id: int = 0) -> QuerySet[SessionMessage]:
    """The chat of a reading (oldest first), newer than ``after_id``; ``SessionNotFound`` for anyone but the
    parties."""
    session = session_get_for_participant(viewer=viewer, session_id=session_id)
    return session.messages.filter(id__gt=after_id).select_related("sender").order_by("id")[:MESSAGES_PER_POLL]


def session_transcript_get(*, viewer: Any, session_id: int) -> tuple[ReadingSession, QuerySet[SessionMessage]]:
    """The whole transcript of a chat reading, for its two parties only (``SessionNotFound`` otherwise)."""
    session = session_get_for_participant(viewer=viewer, session_id=session_id)
    if session.modality != Modality.TEXT:
        raise SessionNotFound("Only chat readings have a transcript.")
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
    """Every review, newest first, for the admins' list (which links to the moderation page of each)."""
    if not getattr(viewer, "is_staff", False):
        raise NotFound()
    qs = Review.objects.select_related("client", "reader", "hidden_by", "session")
    if hidden is not None:
        qs = qs.filter(is_hidden=hidden)
    return qs


# --- Aggregates for the analytics pages (apps.analytics): one grouped query each, never one per bucket. ---
# ``trunc`` turns a datetime column (or expression) into its bucket's first day in the viewer's zone
# (``apps.analytics.periods.Period.trunc``). A reading counts once it was billed (at least one minute) and has
# ended; it falls in the bucket of its end, as its settlement does.


def _billed_readings() -> QuerySet[ReadingSession]:
    return ReadingSession.objects.filter(minutes_billed__gt=0, ended_at__isnull=False)


def reading_totals_by_bucket(
    *, start_at: datetime, end_at: datetime, trunc: Callable[[Any], Any], reader_id: int | None = None
) -> dict[date, dict[str, int]]:
    """Per bucket: billed readings that ended in [start_at, end_at), their minutes and distinct clients
    (``reader_id`` limits them to one reader; the caller scopes who may ask)."""
    readings = _billed_readings().filter(ended_at__gte=start_at, ended_at__lt=end_at)
    if reader_id is not None:
        readings = readings.filter(reader_id=reader_id)
    rows = (
        readings.annotate(bucket=trunc("ended_at"))
        .values("bucket")
        .annotate(readings=Count("id"), minutes=Sum("minutes_billed"), clients=Count("client_id", distinct=True))
        .order_by("bucket")
    )
    return {row["bucket"]: {key: row[key] or 0 for key in ("readings", "minutes", "clients")} for row in rows}


def reading_clients_by_bucket(
    *, reader_id: int, start_at: datetime, end_at: datetime, trunc: Callable[[Any], Any]
) -> dict[date, dict[str, int]]:
    """Per bucket, the distinct clients of ``reader_id``'s readings in it: ``new`` (their first billed reading
    with this reader is in that bucket) and ``returning`` (they had one in an earlier bucket)."""
    first_ended = Subquery(
        _billed_readings()
        .filter(reader_id=reader_id, client_id=OuterRef("client_id"))
        .order_by("ended_at")
        .values("ended_at")[:1]
    )
    rows = (
        _billed_readings()
        .filter(reader_id=reader_id, ended_at__gte=start_at, ended_at__lt=end_at)
        .annotate(bucket=trunc("ended_at"), first_bucket=trunc(first_ended))
        .values("bucket")
        .annotate(
            new=Count("client_id", distinct=True, filter=Q(first_bucket=F("bucket"))),
            returning=Count("client_id", distinct=True, filter=Q(first_bucket__lt=F("bucket"))),
        )
        .order_by("bucket")
    )
    return {row["bucket"]: {"new": row["new"], "returning": row["returning"]} for row in rows}


def reading_repeat_clients(*, reader_id: int, start_at: datetime, end_at: datetime) -> dict[str, int]:
    """Clients ``reader_id`` read for in [start_at, end_at) (``clients``), and how many of them have had two
    or more billed readings with this reader by the end of the range (``repeat``)."""
    per_client = (
        _billed_readings()
        .filter(reader_id=reader_id, ended_at__lt=end_at)
        .values("client_id")
        .annotate(readings=Count("id"), last_ended_at=Max("ended_at"))
        .filter(last_ended_at__gte=start_at)
    )
    totals = per_client.aggregate(clients=Count("client_id"), repeat=Count("client_id", filter=Q(readings__gte=2)))
    return {"clients": totals["clients"] or 0, "repeat": totals["repeat"] or 0}


def reading_totals_by_reader(*, reader_ids: list[int], start_at: datetime, end_at: datetime) -> dict[int, dict]:
    """Billed readings and minutes of each of ``reader_ids`` that ended in [start_at, end_at)."""
    rows = (
        _billed_readings()
        .filter(reader_id__in=reader_ids, ended_at__gte=start_at, ended_at__lt=end_at)
        .values("reader_id")
        .annotate(readings=Count("id"), minutes=Sum("minutes_billed"))
        .order_by("reader_id")
    )
    return {row["reader_id"]: {"readings": row["readings"], "minutes": row["minutes"] or 0} for row in rows}


def review_ratings_by_bucket(
    *, reader_id: int, start_at: datetime, end_at: datetime, trunc: Callable[[Any], Any]
) -> dict[date, dict[str, int]]:
    """Per bucket, the visible reviews ``reader_id`` received in it: how many and the sum of their stars (a
    hidden review leaves the rating, as on the profile)."""
    rows = (
        Review.objects.filter(reader_id=reader_id, is_hidden=False, created_at__gte=start_at, created_at__lt=end_at)
        .annotate(bucket=trunc("created_at"))
        .values("bucket")
        .annotate(reviews=Count("id"), stars=Sum("rating"))
        .order_by("bucket")
    )
    return {row["bucket"]: {"reviews": row["reviews"], "stars": row["stars"] or 0} for row in rows}


def reader_client_ids(*, reader_user_id: int) -> QuerySet[Any]:
    """Ids (a ``client_id`` values query) of the people who have had a reading with the reader: a reading the
    reader accepted, whatever its end. A livestream host may invite them to a private stream."""
    return ReadingSession.objects.filter(reader_id=reader_user_id, accepted_at__isnull=False).values("client_id")
