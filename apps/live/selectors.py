"""Reads of livestreams. Permission scoping happens here: a stream the viewer may not see is "not found"."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.readers.selectors import reader_follower_list
from apps.readings.selectors import reader_client_ids
from apps.wallet.enums import TransactionKind
from apps.wallet.models import Posting

from .access import StreamAccess, stream_access_for, visible_q
from .constants import CHAT_WINDOW, EVENTS_PAGE, STREAM_SUBJECT, TOP_GIFTERS, VIEWER_PRESENCE_WINDOW
from .enums import StreamState
from .exceptions import GiftKindNotFound, RemovedFromStream, StreamNotFound
from .models import GiftKind, Stream, StreamEvent, StreamInvite, StreamMessage, StreamViewer

ZERO = Decimal("0.00")


def watching_q(now: datetime | None = None, prefix: str = "") -> Q:
    """Viewers whose heartbeats still arrive and whom the host did not remove."""
    cutoff = (now or timezone.now()) - VIEWER_PRESENCE_WINDOW
    return Q(**{f"{prefix}last_seen_at__gte": cutoff, f"{prefix}removed_at__isnull": True})


def _with_host(qs: QuerySet[Stream]) -> QuerySet[Stream]:
    return qs.select_related("host", "host__reader_profile")


# --- the Live page ------------------------------------------------------------------------------------------


def stream_list(*, viewer: Any) -> QuerySet[Stream]:
    """Streams ``viewer`` may see that are live (newest first) and then upcoming (soonest first), with the number
    of people watching each (``viewer_count``)."""
    return (
        _with_host(Stream.objects.filter(visible_q(viewer), state__in=[StreamState.LIVE, StreamState.SCHEDULED]))
        .annotate(
            viewer_count=Count("viewers", filter=watching_q(prefix="viewers__")),
            state_order=Case(
                When(state=StreamState.LIVE, then=Value(0)), default=Value(1), output_field=IntegerField()
            ),
        )
        .order_by(
            "state_order",
            F("started_at").desc(nulls_last=True),
            F("scheduled_start_at").asc(nulls_last=True),
            "-pk",
        )
    )


# --- one stream ---------------------------------------------------------------------------------------------


def stream_get_visible(*, viewer: Any, stream_id: int) -> tuple[Stream, StreamAccess]:
    """The stream and what ``viewer`` may do in it, if they may open its page (``StreamNotFound`` otherwise)."""
    stream = _with_host(Stream.objects.filter(pk=stream_id)).first()
    if stream is None:
        raise StreamNotFound()
    access = stream_access_for(viewer=viewer, stream=stream)
    if not access.can_see:
        raise StreamNotFound()
    return stream, access


def stream_get_member(*, viewer: Any, stream_id: int) -> Stream:
    """A stream whose chat, events and gifts ``viewer`` may use: the host, or someone with access (a ticket for a
    premium stream). Everyone else: ``StreamNotFound``; a viewer the host removed: ``RemovedFromStream``."""
    stream, access = stream_get_visible(viewer=viewer, stream_id=stream_id)
    if access.needs_ticket:
        raise StreamNotFound()
    if access.is_removed:
        raise RemovedFromStream()
    return stream


def stream_get_hosted(*, viewer: Any, stream_id: int) -> Stream:
    """One of ``viewer``'s own streams (``StreamNotFound`` for anyone else's)."""
    stream = _with_host(Stream.objects.filter(pk=stream_id, host_id=getattr(viewer, "pk", None))).first()
    if stream is None:
        raise StreamNotFound()
    return stream


def stream_live_for_host(*, host: Any) -> Stream | None:
    return Stream.objects.filter(host_id=host.pk, state=StreamState.LIVE).first()


def event_list(*, stream: Stream, after_id: int = 0) -> list[StreamEvent]:
    """The stream's events after ``after_id``, in order (at most EVENTS_PAGE; the poller asks for the rest)."""
    qs = StreamEvent.objects.filter(stream=stream, pk__gt=after_id).select_related("user", "gift").order_by("pk")
    return list(qs[:EVENTS_PAGE])


def event_last_id(*, stream: Stream) -> int:
    last = StreamEvent.objects.filter(stream=stream).order_by("-pk").values_list("pk", flat=True).first()
    return last or 0


def message_list(*, stream: Stream) -> list[StreamMessage]:
    """The latest CHAT_WINDOW shown chat lines, oldest first. Read whole on every poll, so a hidden line vanishes."""
    qs = StreamMessage.objects.filter(stream=stream, hidden_at__isnull=True).select_related("sender").order_by("-pk")
    return list(reversed(qs[:CHAT_WINDOW]))


def viewer_count(*, stream: Stream) -> int:
    return StreamViewer.objects.filter(watching_q(), stream=stream).count()


def viewer_list(*, stream: Stream) -> QuerySet[StreamViewer]:
    """Who is watching now, for the host."""
    return StreamViewer.objects.filter(watching_q(), stream=stream).select_related("user").order_by("joined_at", "pk")


def removed_viewer_list(*, stream: Stream) -> QuerySet[StreamViewer]:
    return StreamViewer.objects.filter(stream=stream, removed_at__isnull=False).select_related("user").order_by("pk")


def top_gifter_list(*, stream: Stream, limit: int = TOP_GIFTERS) -> list[dict[str, Any]]:
    """The stream's most generous viewers: name, number of gifts and total, largest first."""
    rows = (
        stream.gifts.values("sender_id", "sender__display_name", "sender__email")
        .annotate(gift_count=Count("pk"), total_amount=Sum("price_amount"))
        .order_by("-total_amount", "sender_id")[:limit]
    )
    return [
        {
            "user_id": row["sender_id"],
            "name": row["sender__display_name"] or row["sender__email"].split("@")[0],
            "gift_count": row["gift_count"],
            "total_amount": row["total_amount"],
        }
        for row in rows
    ]


# --- money, from the ledger -----------------------------------------------------------------------------------


def _earnings_postings(host_id: int) -> QuerySet[Posting]:
    return Posting.objects.filter(account__code=f"earnings:{host_id}", transaction__subject_type=STREAM_SUBJECT)


def stream_earnings(*, stream: Stream) -> dict[str, Decimal]:
    """What the host earned in this stream, by source, summed from the ledger's postings to their earnings."""
    rows = (
        _earnings_postings(stream.host_id)
        .filter(transaction__subject_id=stream.pk)
        .values("transaction__kind")
        .annotate(total=Sum("amount"))
    )
    by_kind = {row["transaction__kind"]: row["total"] for row in rows}
    gifts = by_kind.get(TransactionKind.GIFT, ZERO)
    tickets = by_kind.get(TransactionKind.TICKET, ZERO)
    return {"gifts": gifts, "tickets": tickets, "total": gifts + tickets}


def _earnings_subquery(host_id: int, kind: str) -> Coalesce:
    total = (
        _earnings_postings(host_id)
        .filter(transaction__subject_id=OuterRef("pk"), transaction__kind=kind)
        .values("transaction__subject_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    money = DecimalField(max_digits=12, decimal_places=2)
    return Coalesce(Subquery(total, output_field=money), Value(ZERO), output_field=money)


def stream_history_list(*, viewer: Any) -> QuerySet[Stream]:
    """``viewer``'s own streams, newest first, each with its gift and ticket earnings (from the ledger) and the
    number of gifts and tickets."""
    gifts = Subquery(
        Stream.objects.filter(pk=OuterRef("pk")).annotate(n=Count("gifts")).values("n"), output_field=IntegerField()
    )
    tickets = Subquery(
        Stream.objects.filter(pk=OuterRef("pk")).annotate(n=Count("tickets")).values("n"), output_field=IntegerField()
    )
    return (
        Stream.objects.filter(host_id=getattr(viewer, "pk", None))
        .annotate(
            gift_earnings=_earnings_subquery(viewer.pk, str(TransactionKind.GIFT)),
            ticket_earnings=_earnings_subquery(viewer.pk, str(TransactionKind.TICKET)),
            gift_count=gifts,
            ticket_count=tickets,
        )
        .order_by("-created_at", "-pk")
    )


# --- invitations and the catalog --------------------------------------------------------------------------


def invite_list(*, stream: Stream) -> QuerySet[StreamInvite]:
    return stream.invites.select_related("user").order_by("revoked_at", "pk")


def gift_kind_list_active() -> QuerySet[GiftKind]:
    return GiftKind.objects.filter(is_active=True).order_by("position", "price_amount", "pk")


def gift_kind_list_for_admin(*, viewer: Any) -> QuerySet[GiftKind]:
    if not getattr(viewer, "is_staff", False):
        return GiftKind.objects.none()
    return GiftKind.objects.order_by("position", "price_amount", "pk")


def gift_kind_get_for_admin(*, viewer: Any, gift_kind_id: int) -> GiftKind:
    gift_kind = gift_kind_list_for_admin(viewer=viewer).filter(pk=gift_kind_id).first()
    if gift_kind is None:
        raise GiftKindNotFound()
    return gift_kind


def invitable_user_list(*, host_user_id: int) -> QuerySet[Any]:
    """Who the host may invite to a private stream: active people who keep them among their favorite readers or
    have had a reading with them (one query when evaluated)."""
    from django.contrib.auth import get_user_model

    followers = reader_follower_list(reader_user_id=host_user_id).values("pk")
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(pk__in=followers) | Q(pk__in=reader_client_ids(reader_user_id=host_user_id)))
        .exclude(pk=host_user_id)
        .order_by("display_name", "email", "pk")
    )
