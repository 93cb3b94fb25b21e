"""A stream's life: create or schedule, go live, heartbeats, end (by the host or after two silent minutes),
invitations to private streams, and the viewers the host can remove."""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone

from apps.accounts.enums import Role
from apps.core.exceptions import PermissionDeniedError
from apps.core.outbox import outbox_enqueue
from apps.core.services import audit_log_record
from apps.moderation.guards import write_guard
from apps.notifications.services import notify
from apps.readers.selectors import reader_follower_list
from apps.rtc.kicking import rtc_kick_enqueue

from ..access import STREAM_USE, stream_channel_name
from ..constants import (
    DESCRIPTION_MAX_LENGTH,
    HOST_SILENCE_LIMIT,
    TICKET_MAX_AMOUNT,
    TICKET_MIN_AMOUNT,
    TITLE_MAX_LENGTH,
)
from ..enums import STREAM_INVITE_KIND, EndReason, EventKind, StreamState, Visibility
from ..exceptions import (
    AlreadyLive,
    InvalidStream,
    InviteNotFound,
    StreamNotFound,
    StreamStateConflict,
    ViewerNotFound,
)
from ..locks import stream_lock, viewer_lock
from ..models import Stream, StreamEvent, StreamInvite, StreamViewer
from ..selectors import invitable_user_list

logger = logging.getLogger(__name__)

FOLLOWERS_ALERT = "live.followers_alert"


# --- input ----------------------------------------------------------------------------------------------------


def ticket_price_clean(raw: Any) -> Decimal:
    try:
        amount = Decimal(str(raw).strip().lstrip("$"))
    except (InvalidOperation, ValueError):
        raise InvalidStream("Enter the ticket price in dollars and cents, for example 5.00.")
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise InvalidStream("Enter the ticket price in dollars and cents, for example 5.00.")
    if not TICKET_MIN_AMOUNT <= amount <= TICKET_MAX_AMOUNT:
        raise InvalidStream(f"A ticket costs between ${TICKET_MIN_AMOUNT} and ${TICKET_MAX_AMOUNT}.")
    return amount.quantize(Decimal("0.01"))


def _details_clean(
    *, title: Any, description: Any, visibility: Any, ticket_price_amount: Any, scheduled_start_at: datetime | None
) -> dict[str, Any]:
    title = str(title or "").strip()
    if not title:
        raise InvalidStream("Give your stream a title.")
    if len(title) > TITLE_MAX_LENGTH:
        raise InvalidStream(f"A title can be at most {TITLE_MAX_LENGTH} characters long.")
    description = str(description or "").replace("\r\n", "\n").strip()
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise InvalidStream(f"A description can be at most {DESCRIPTION_MAX_LENGTH} characters long.")
    if visibility not in Visibility.values:
        raise InvalidStream("Choose who may watch: public, private or premium.")
    price = None
    if visibility == Visibility.PREMIUM:
        if ticket_price_amount in (None, ""):
            raise InvalidStream("A premium stream needs a ticket price.")
        price = ticket_price_clean(ticket_price_amount)
    if scheduled_start_at is not None and scheduled_start_at <= timezone.now():
        raise InvalidStream("A scheduled start must be in the future; to start now, go live instead.")
    return {
        "title": title,
        "description": description,
        "visibility": visibility,
        "ticket_price_amount": price,
        "scheduled_start_at": scheduled_start_at,
    }


def _require_reader(actor: Any) -> None:
    if not (getattr(actor, "is_authenticated", False) and actor.is_active and actor.role == Role.READER):
        raise PermissionDeniedError("Only readers can host livestreams.")


# --- create, go live, end -------------------------------------------------------------------------------------


def _stream_insert(*, actor: Any, details: dict[str, Any]) -> Stream:
    """Inner helper: the caller holds the transaction."""
    stream = Stream(host=actor, **details)
    stream.full_clean(exclude=["host", "channel_name"])
    stream.save(force_insert=True)
    stream.channel_name = stream_channel_name(stream.pk)
    stream.save(update_fields=["channel_name"])
    audit_log_record(
        actor=actor,
        action="live.stream_created",
        target=stream,
        details={"visibility": stream.visibility, "ticket_price": f"{stream.ticket_price_amount or ''}"},
    )
    return stream


@transaction.atomic(durable=True)
def stream_create(
    *,
    actor: Any,
    title: Any,
    description: Any = "",
    visibility: Any = Visibility.PUBLIC,
    ticket_price_amount: Any = None,
    scheduled_start_at: datetime | None = None,
) -> Stream:
    """A reader schedules a stream (it shows under "Upcoming" on the Live page until they go live)."""
    _require_reader(actor)
    write_guard(actor)
    details = _details_clean(
        title=title,
        description=description,
        visibility=visibility,
        ticket_price_amount=ticket_price_amount,
        scheduled_start_at=scheduled_start_at,
    )
    return _stream_insert(actor=actor, details=details)


@transaction.atomic(durable=True)
def stream_go_live(
    *,
    actor: Any,
    title: Any,
    description: Any = "",
    visibility: Any = Visibility.PUBLIC,
    ticket_price_amount: Any = None,
) -> Stream:
    """Create a stream and start it at once (the dashboard's "Go live")."""
    _require_reader(actor)
    write_guard(actor)
    details = _details_clean(
        title=title,
        description=description,
        visibility=visibility,
        ticket_price_amount=ticket_price_amount,
        scheduled_start_at=None,
    )
    if Stream.objects.filter(host=actor, state=StreamState.LIVE).exists():
        raise AlreadyLive()
    stream = _stream_insert(actor=actor, details=details)
    return _start(stream=stream, actor=actor)


@transaction.atomic(durable=True)
def stream_start(*, actor: Any, stream_id: int) -> Stream:
    """The host starts a scheduled stream. One live stream per host (the database says so too)."""
    _require_reader(actor)
    try:
        stream = stream_lock(stream_id=stream_id)
    except Stream.DoesNotExist:
        raise StreamNotFound()
    if stream.host_id != actor.pk:
        raise StreamNotFound()
    if stream.state == StreamState.LIVE:
        return stream
    write_guard(actor)
    if stream.state != StreamState.SCHEDULED:
        raise StreamStateConflict("This stream has ended; create a new one to go live again.")
    return _start(stream=stream, actor=actor)


def _start(*, stream: Stream, actor: Any) -> Stream:
    """Inner helper: the caller holds the transaction (and the stream's lock, or just created it)."""
    now = timezone.now()
    stream.state = StreamState.LIVE
    stream.started_at = now
    stream.host_seen_at = now
    try:
        with transaction.atomic():
            stream.save(update_fields=["state", "started_at", "host_seen_at"])
    except IntegrityError:  # stream_one_live_per_host: the host's other tab went live first
        raise AlreadyLive()
    StreamEvent.objects.create(stream=stream, kind=EventKind.STARTED, user=actor)
    audit_log_record(actor=actor, action="live.stream_started", target=stream)
    outbox_enqueue(name=FOLLOWERS_ALERT, kwargs={"stream_id": stream.pk}, dedupe_key=f"live:stream:{stream.pk}:alert")
    return stream


@transaction.atomic(durable=True)
def stream_end(*, actor: Any, stream_id: int) -> Stream:
    """The host ends a live stream (or cancels a scheduled one). Ending twice changes nothing."""
    try:
        stream = stream_lock(stream_id=stream_id)
    except Stream.DoesNotExist:
        raise StreamNotFound()
    if stream.host_id != getattr(actor, "pk", None):
        raise StreamNotFound()
    if stream.state == StreamState.ENDED:
        return stream
    reason = str(EndReason.HOST if stream.state == StreamState.LIVE else EndReason.CANCELLED)
    return _end(stream=stream, actor=actor, reason=reason)


def _end(*, stream: Stream, actor: Any, reason: str) -> Stream:
    """Inner helper: the caller holds the transaction and the stream's lock (so no payment is in flight)."""
    now = timezone.now()
    was_live = stream.state == StreamState.LIVE
    stream.state = StreamState.ENDED
    stream.end_reason = reason
    stream.ended_at = now
    stream.save(update_fields=["state", "end_reason", "ended_at"])
    if was_live:
        StreamEvent.objects.create(stream=stream, kind=EventKind.ENDED, user=stream.host)
        viewers = list(stream.viewers.filter(removed_at__isnull=True).values_list("user_id", flat=True))
        rtc_kick_enqueue(
            use=STREAM_USE,
            object_id=stream.pk,
            channel_name=stream.channel_name,
            user_ids=[stream.host_id, *viewers],
            event_key="ended",
            final=True,
        )
    audit_log_record(actor=actor, action="live.stream_ended", target=stream, details={"reason": str(reason)})
    return stream


def stream_host_heartbeat(*, actor: Any, stream_id: int) -> bool:
    """The host's page says "still here" (every HEARTBEAT_SECONDS). Whether the stream is live."""
    return bool(
        Stream.objects.filter(pk=stream_id, host_id=actor.pk, state=StreamState.LIVE).update(host_seen_at=Now())
    )


def streams_timeout() -> int:
    """End every live stream whose host has been silent for HOST_SILENCE_LIMIT; returns how many ended.

    Safe on several workers at once: each stream is taken with SKIP LOCKED and re-checked under its lock.
    """
    cutoff = timezone.now() - HOST_SILENCE_LIMIT
    ids = list(
        Stream.objects.filter(state=StreamState.LIVE, host_seen_at__lt=cutoff).values_list("pk", flat=True)[:500]
    )
    ended = 0
    for stream_id in ids:
        with transaction.atomic(durable=True):
            stream = (
                Stream.objects.select_for_update(of=("self",), skip_locked=True)
                .filter(pk=stream_id, state=StreamState.LIVE, host_seen_at__lt=cutoff)
                .first()
            )
            if stream is None:
                continue
            _end(stream=stream, actor=None, reason=str(EndReason.HOST_SILENT))
            ended += 1
    if ended:
        logger.info("live streams ended after host silence", extra={"count": ended})
    return ended


# --- invitations (private streams) --------------------------------------------------------------------------


def _hosted_locked(*, actor: Any, stream_id: int) -> Stream:
    try:
        stream = stream_lock(stream_id=stream_id)
    except Stream.DoesNotExist:
        raise StreamNotFound()
    if stream.host_id != getattr(actor, "pk", None):
        raise StreamNotFound()
    return stream


@transaction.atomic(durable=True)
def stream_invite(*, actor: Any, stream_id: int, user_id: int) -> StreamInvite:
    """The host invites one of their followers or clients to a private stream (again, if the invite had been
    revoked)."""
    stream = _hosted_locked(actor=actor, stream_id=stream_id)
    if stream.visibility != Visibility.PRIVATE:
        raise StreamStateConflict("Only private streams take invitations; anyone signed in may watch this one.")
    if stream.state == StreamState.ENDED:
        raise StreamStateConflict("This stream has ended.")
    if not invitable_user_list(host_user_id=actor.pk).filter(pk=user_id).exists():
        raise InvalidStream(
            "You can invite people who keep you among their favorite readers or have had a reading with you."
        )
    invite, created = StreamInvite.objects.get_or_create(stream=stream, user_id=user_id)
    if not created and invite.revoked_at is not None:
        invite.revoked_at = None
        invite.save(update_fields=["revoked_at"])
        created = True
    if created:
        _invite_notify(stream=stream, invite=invite)
    audit_log_record(actor=actor, action="live.invite_sent", target=stream, details={"user_id": user_id})
    return invite


def _invite_notify(*, stream: Stream, invite: StreamInvite) -> None:
    """Inner helper: tell the invited person (in the app, and by email per their preference) in the caller's
    transaction."""
    profile = getattr(stream.host, "reader_profile", None)
    name = getattr(profile, "display_name", "") or stream.host.public_name
    when = "is live now" if stream.state == StreamState.LIVE else "has scheduled it"
    notify(
        user=invite.user,
        kind=STREAM_INVITE_KIND,
        title=f"{name} invited you to a private livestream: {stream.title}"[:160],
        body=f"{name} {when}. Only the people they invite can watch.",
        url=reverse("live:stream", args=[stream.pk]),
        email=True,
    )


@transaction.atomic(durable=True)
def stream_invite_revoke(*, actor: Any, stream_id: int, invite_id: int) -> StreamInvite:
    """The host takes an invitation back: no more access, no new token, and off the channel if kicking is on."""
    stream = _hosted_locked(actor=actor, stream_id=stream_id)
    invite = StreamInvite.objects.filter(pk=invite_id, stream=stream).first()
    if invite is None:
        raise InviteNotFound()
    if invite.revoked_at is None:
        invite.revoked_at = timezone.now()
        invite.save(update_fields=["revoked_at"])
        _kick(stream=stream, user_id=invite.user_id, event_key=f"invite-revoked-{invite.pk}")
        audit_log_record(actor=actor, action="live.invite_revoked", target=stream, details={"user_id": invite.user_id})
    return invite


def _kick(*, stream: Stream, user_id: int, event_key: str) -> None:
    if stream.state == StreamState.LIVE:
        rtc_kick_enqueue(
            use=STREAM_USE,
            object_id=stream.pk,
            channel_name=stream.channel_name,
            user_ids=[user_id],
            event_key=event_key,
            final=True,
        )


# --- viewers --------------------------------------------------------------------------------------------------


def viewer_heartbeat(*, actor: Any, stream: Stream) -> StreamViewer | None:
    """A member's stream page says "still watching". The first one writes a "joined" event.

    ``stream`` comes from ``selectors.stream_get_member`` (access checked). Returns None for the host.
    """
    if stream.host_id == actor.pk or stream.state != StreamState.LIVE:
        return None
    with transaction.atomic(durable=True):
        viewer, created = StreamViewer.objects.get_or_create(
            stream=stream, user=actor, defaults={"last_seen_at": timezone.now()}
        )
        if created:
            StreamEvent.objects.create(stream=stream, kind=EventKind.JOIN, user=actor)
        else:
            StreamViewer.objects.filter(pk=viewer.pk, removed_at__isnull=True).update(last_seen_at=Now())
        _peak_update(stream_id=stream.pk)
    return viewer


def _peak_update(*, stream_id: int) -> None:
    """Raise the stream's peak to the number watching now (a conditional UPDATE: it only ever grows)."""
    from ..selectors import watching_q

    watching = StreamViewer.objects.filter(watching_q(), stream_id=stream_id).count()
    Stream.objects.filter(pk=stream_id, peak_viewers__lt=watching).update(peak_viewers=watching)


@transaction.atomic(durable=True)
def viewer_remove(*, actor: Any, stream_id: int, user_id: int) -> StreamViewer:
    """The host removes a viewer: they lose the chat, gifts and video, and get no new token."""
    stream = _hosted_locked(actor=actor, stream_id=stream_id)
    try:
        viewer = viewer_lock(stream_id=stream.pk, user_id=user_id)
    except StreamViewer.DoesNotExist:
        raise ViewerNotFound()
    if viewer.removed_at is None:
        viewer.removed_at = timezone.now()
        viewer.save(update_fields=["removed_at"])
        _kick(stream=stream, user_id=user_id, event_key="removed")
        audit_log_record(actor=actor, action="live.viewer_removed", target=stream, details={"user_id": user_id})
    return viewer


def followers_to_alert(*, stream: Stream) -> Any:
    """Followers of the host who may watch ``stream``: all of them, or only the invited for a private stream."""
    followers = reader_follower_list(reader_user_id=stream.host_id)
    if stream.visibility == Visibility.PRIVATE:
        followers = followers.filter(
            Q(pk__in=StreamInvite.objects.filter(stream=stream, revoked_at__isnull=True).values("user_id"))
        )
    return followers
