"""Who may watch a stream (SPEC §7), in one place: the pages, the APIs and the Agora token check all ask here.

- the host: everything, and the only publisher;
- public: anyone signed in; private: people the host invited (and did not revoke); premium: a ticket holder;
- a viewer the host removed keeps seeing the page (which says so) but nothing else, and gets no new token.

Anyone who may not see a stream gets "not found" (404); a premium stream's page is visible to everyone signed
in, because it is where the ticket is bought, but its chat, events, gifts and video need the ticket.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q

from apps.core.parsing import id_or_none
from apps.rtc.access import AccessDecision, AccessRefused, rtc_uid_for
from apps.rtc.channels import channel_name_for
from apps.rtc.enums import ChannelProfile, Modality, RtcRole

from .enums import StreamState, Visibility
from .models import Stream, StreamInvite, StreamTicket, StreamViewer

STREAM_USE = "stream"
STREAM_CHANNEL_KIND = "stream"


def stream_channel_name(stream_id: int) -> str:
    return channel_name_for(STREAM_CHANNEL_KIND, stream_id)


def invited_q(viewer: Any) -> Q:
    """Streams ``viewer`` holds a standing invite to (for querysets of Stream)."""
    return Q(Exists(StreamInvite.objects.filter(stream=OuterRef("pk"), user_id=viewer.pk, revoked_at__isnull=True)))


def visible_q(viewer: Any) -> Q:
    """Streams whose page ``viewer`` may open: their own, public and premium ones, private ones they are invited to."""
    if not getattr(viewer, "is_authenticated", False):
        return Q(visibility__in=[Visibility.PUBLIC, Visibility.PREMIUM])
    return Q(host_id=viewer.pk) | Q(visibility__in=[Visibility.PUBLIC, Visibility.PREMIUM]) | invited_q(viewer)


@dataclass(frozen=True)
class StreamAccess:
    """What ``viewer`` may do in one stream."""

    is_host: bool = False
    can_see: bool = False  # the page
    has_ticket: bool = False
    is_removed: bool = False

    @property
    def needs_ticket(self) -> bool:
        return self.can_see and not self.is_host and not self.has_ticket

    @property
    def is_member(self) -> bool:
        """May read the chat and events, post, send gifts and watch."""
        return self.is_host or (self.can_see and not self.is_removed and not self.needs_ticket)


@dataclass(frozen=True)
class AccessFacts:
    """The rows that decide a signed-in viewer's access to one stream, read in the statement that locks the stream
    for a payment (``access_facts_sql``) instead of one query each."""

    viewer_id: int
    is_invited: bool
    has_ticket_row: bool
    is_removed: bool


def access_facts_sql(*, stream: str, viewer_param: str) -> str:
    """The select list of ``AccessFacts`` (after ``viewer_id``): SQL booleans for the stream aliased ``stream`` and
    the viewer whose id is the placeholder ``viewer_param``. The same rows ``stream_access_for`` queries."""
    invite, ticket, viewer = StreamInvite._meta.db_table, StreamTicket._meta.db_table, StreamViewer._meta.db_table
    return (
        f"EXISTS (SELECT 1 FROM {invite} WHERE stream_id = {stream}.id AND user_id = {viewer_param} "  # noqa: S608  # nosec B608: model tables, placeholders
        "AND revoked_at IS NULL), "
        f"EXISTS (SELECT 1 FROM {ticket} WHERE stream_id = {stream}.id AND user_id = {viewer_param}), "
        f"EXISTS (SELECT 1 FROM {viewer} WHERE stream_id = {stream}.id AND user_id = {viewer_param} "
        "AND removed_at IS NOT NULL)"
    )


def stream_access_for(*, viewer: Any, stream: Stream, facts: AccessFacts | None = None) -> StreamAccess:
    """What ``viewer`` may do in ``stream``; ``facts`` (read with the stream) spare the queries."""
    if not getattr(viewer, "is_authenticated", False):
        return StreamAccess()
    if stream.host_id == viewer.pk:
        return StreamAccess(is_host=True, can_see=True, has_ticket=True)
    if facts is not None and facts.viewer_id != viewer.pk:
        raise ValueError("These access facts are another viewer's.")
    if stream.visibility == Visibility.PRIVATE:
        can_see = (
            facts.is_invited
            if facts is not None
            else StreamInvite.objects.filter(stream=stream, user_id=viewer.pk, revoked_at__isnull=True).exists()
        )
    else:
        can_see = True
    if not can_see:
        return StreamAccess()
    has_ticket = stream.visibility != Visibility.PREMIUM or (
        facts.has_ticket_row
        if facts is not None
        else StreamTicket.objects.filter(stream=stream, user_id=viewer.pk).exists()
    )
    is_removed = (
        facts.is_removed
        if facts is not None
        else StreamViewer.objects.filter(stream=stream, user_id=viewer.pk, removed_at__isnull=False).exists()
    )
    return StreamAccess(can_see=True, has_ticket=has_ticket, is_removed=is_removed)


def stream_rtc_access(*, user: Any, object_id: str) -> AccessDecision:
    """Agora token check of a stream (asked again on every renewal): the host publishes, members only watch."""
    stream_id = id_or_none(object_id)
    if stream_id is None:
        raise AccessRefused("This stream does not exist.", not_found=True)
    stream = Stream.objects.filter(pk=stream_id).first()
    if stream is None:
        raise AccessRefused("This stream does not exist.", not_found=True)
    access = stream_access_for(viewer=user, stream=stream)
    if not access.can_see or access.needs_ticket:
        raise AccessRefused("This stream does not exist.", not_found=True)
    if access.is_removed:
        raise AccessRefused("The host removed you from this stream.", code="removed")
    if stream.state != StreamState.LIVE:
        raise AccessRefused("This stream is not live.", code="not_live")
    return AccessDecision(
        role=str(RtcRole.PUBLISHER if access.is_host else RtcRole.SUBSCRIBER),
        channel_name=stream_channel_name(stream.pk),
        uid=rtc_uid_for(user),
        modality=str(Modality.VIDEO),
        profile=str(ChannelProfile.LIVE),
    )
