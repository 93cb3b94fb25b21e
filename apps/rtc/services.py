"""Writes of the rtc app: issuing tokens under a domain check, recording connection reports and NCS events."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.exceptions import DomainError, IntegrationNotConfigured
from apps.core.integrations import agora_enabled
from apps.core.parsing import json_contains_nul

from . import tokens
from .access import AccessDecision, AccessRefused, access_decide
from .channels import channel_subject
from .enums import ChannelProfile, ConnectionState, Modality, NcsOutcome, PresenceSource, RtcRole
from .locks import ncs_sequence_lock
from .models import NcsEvent, PresenceSignal, RtcConnectionEvent, RtcTokenGrant
from .presence import presence_dispatch
from .selectors import AGORA_UNAVAILABLE_MESSAGE, rtm_enabled

logger = logging.getLogger(__name__)

_RTM_TAG = re.compile(r"^[a-z0-9]{1,16}$")


@dataclass(frozen=True)
class IssuedCredentials:
    app_id: str
    channel_name: str
    uid: int
    token: str
    role: RtcRole
    modality: Modality
    profile: ChannelProfile
    privileges: tuple[str, ...]
    issued_at: datetime
    expires_at: datetime
    rtm_user_id: str | None
    rtm_token: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "app_id": self.app_id,
            "channel": self.channel_name,
            "uid": self.uid,
            "token": self.token,
            "role": self.role.value,
            "modality": self.modality.value,
            "profile": self.profile.value,
            "privileges": list(self.privileges),
            "expires_at": self.expires_at.isoformat(),
            "ttl_seconds": int((self.expires_at - self.issued_at).total_seconds()),
            "rtm": (
                {"user_id": self.rtm_user_id, "token": self.rtm_token, "channel": self.channel_name}
                if self.rtm_token
                else None
            ),
        }


def _issue(
    *, actor: Any, use: str, object_id: str, is_renewal: bool, channel_name: str | None, rtm_tag: str = ""
) -> IssuedCredentials:
    if not agora_enabled():
        raise IntegrationNotConfigured(AGORA_UNAVAILABLE_MESSAGE)
    try:
        decision = access_decide(use=use, user=actor, object_id=object_id)
        if channel_name is not None and channel_name != decision.channel_name:
            raise AccessRefused("This token is not for that room.")
    except AccessRefused as refusal:
        logger.info(
            "rtc token refused",
            extra={
                "user_id": actor.pk,
                "use": use,
                "object_id": object_id,
                "renewal": is_renewal,
                "reason": refusal.code,
            },
        )
        raise
    return _credentials_record(
        actor=actor, use=use, object_id=object_id, decision=decision, is_renewal=is_renewal, rtm_tag=rtm_tag
    )


@transaction.atomic(durable=True)
def _credentials_record(
    *, actor: Any, use: str, object_id: str, decision: AccessDecision, is_renewal: bool, rtm_tag: str = ""
) -> IssuedCredentials:
    issued_at = timezone.now().replace(microsecond=0)
    ttl = token_ttl_seconds(decision=decision, issued_at=issued_at)
    issue_ts = int(issued_at.timestamp())
    publisher = decision.role == RtcRole.PUBLISHER
    rtc = tokens.rtc_service(
        channel_name=decision.channel_name,
        uid=decision.uid,
        privilege_expire=ttl,
        publish_audio=publisher,
        publish_video=publisher and decision.modality == Modality.VIDEO,
    )
    token = tokens.build_token(
        app_id=settings.AGORA_APP_ID,
        app_certificate=settings.AGORA_APP_CERTIFICATE,
        services=[rtc],
        expire=ttl,
        issue_ts=issue_ts,
    )
    rtm_user_id = rtm_token = None
    if rtm_enabled():
        rtm_user_id = rtm_user_id_for(decision.uid, rtm_tag)
        rtm_token = tokens.build_rtm_token(
            app_id=settings.AGORA_APP_ID,
            app_certificate=settings.AGORA_APP_CERTIFICATE,
            user_id=rtm_user_id,
            expire=ttl,
            issue_ts=issue_ts,
        )
    privileges = tuple(rtc.privilege_names())
    expires_at = issued_at + timedelta(seconds=ttl)
    grant = RtcTokenGrant.objects.create(
        user=actor,
        use=use,
        object_id=object_id,
        channel_name=decision.channel_name,
        uid=decision.uid,
        role=decision.role,
        privileges=list(privileges),
        has_rtm=rtm_token is not None,
        is_renewal=is_renewal,
        expires_at=expires_at,
        created_at=issued_at,
    )
    logger.info(
        "rtc token issued",
        extra={
            "grant_id": grant.pk,
            "user_id": actor.pk,
            "use": use,
            "object_id": object_id,
            "role": decision.role,
            "renewal": is_renewal,
            "expires_at": expires_at.isoformat(),
        },
    )
    return IssuedCredentials(
        app_id=settings.AGORA_APP_ID,
        channel_name=decision.channel_name,
        uid=decision.uid,
        token=token,
        role=RtcRole(decision.role),
        modality=Modality(decision.modality),
        profile=ChannelProfile(decision.profile),
        privileges=privileges,
        issued_at=issued_at,
        expires_at=expires_at,
        rtm_user_id=rtm_user_id,
        rtm_token=rtm_token,
    )


def token_ttl_seconds(*, decision: AccessDecision, issued_at: datetime) -> int:
    """Seconds the token (and each of its privileges) lasts: the configured TTL, cut at ``decision.expires_at``.

    Rounded down, so a privilege never reaches past the instant the access check allowed. A limit already
    reached refuses the token (the check should have said so itself).
    """
    ttl = int(settings.AGORA_TOKEN_TTL_SECONDS)
    if decision.expires_at is not None:
        ttl = min(ttl, int((decision.expires_at - issued_at).total_seconds()))
    if ttl <= 0:
        raise AccessRefused("Your access to this room has run out.", code="expired")
    return ttl


def rtm_user_id_for(uid: int, rtm_tag: str = "") -> str:
    """The RTM user id of a token: the RTC uid, plus the page's tag when one was given.

    RTM lets one user id be logged in once; a page that signals on its own (a doorbell next to a room, a
    second tab) sends a short random tag so its login does not end another page's.
    """
    if rtm_tag and not _RTM_TAG.match(rtm_tag):
        raise DomainError("An RTM tag is 1-16 lowercase letters or digits.", code="invalid_rtm_tag")
    return f"{uid}_{rtm_tag}" if rtm_tag else str(uid)


def rtc_token_issue(*, actor: Any, use: str, object_id: str, rtm_tag: str = "") -> IssuedCredentials:
    """Tokens for a room, only if the registered access check for ``use`` says yes.

    Raises IntegrationNotConfigured without Agora and AccessRefused when the check refuses; nothing is
    issued or recorded then. Publishers get publish privileges (video only in video rooms); subscribers
    may only join.
    """
    return _issue(actor=actor, use=use, object_id=object_id, is_renewal=False, channel_name=None, rtm_tag=rtm_tag)


def rtc_token_renew(
    *, actor: Any, use: str, object_id: str, channel_name: str | None = None, rtm_tag: str = ""
) -> IssuedCredentials:
    """Fresh tokens before the old ones expire: the same check runs again, so a room that closed gets none."""
    return _issue(
        actor=actor, use=use, object_id=object_id, is_renewal=True, channel_name=channel_name, rtm_tag=rtm_tag
    )


# --- connection reports from clients ---------------------------------------------------------------

# CONNECTING and DISCONNECTING are transitions and signal nothing.
_PRESENCE_BY_STATE = {
    str(ConnectionState.CONNECTED): True,
    str(ConnectionState.RECONNECTING): False,
    str(ConnectionState.DISCONNECTED): False,
}


@transaction.atomic(durable=True)
def rtc_connection_event_record(
    *, actor: Any, use: str, object_id: str, state: str, previous_state: str = "", reason: str = ""
) -> RtcConnectionEvent:
    """Store a participant's connection state change and, for connected/reconnecting/disconnected, a presence
    signal for the room's app (after commit). Only someone the room's presence check accepts may report."""
    if state not in ConnectionState.values or (previous_state and previous_state not in ConnectionState.values):
        raise DomainError("Unknown connection state.", code="invalid_state")
    decision = access_decide(use=use, user=actor, object_id=object_id, for_presence=True)
    event = RtcConnectionEvent.objects.create(
        user=actor,
        use=use,
        object_id=object_id,
        channel_name=decision.channel_name,
        uid=decision.uid,
        state=state,
        previous_state=previous_state,
        reason=reason[:64],
    )
    is_present = _PRESENCE_BY_STATE.get(state)
    if is_present is not None:
        signal = PresenceSignal.objects.create(
            use=use,
            object_id=object_id,
            channel_name=decision.channel_name,
            uid=decision.uid,
            user=actor,
            is_present=is_present,
            detail=state,
            source=PresenceSource.CLIENT,
            occurred_at=event.created_at,
            connection_event=event,
        )
        transaction.on_commit(partial(presence_dispatch, signal.pk))
    return event


# --- Agora Notification Center (NCS) -----------------------------------------------------------------

# Agora RTC channel event types (productId 1) that change a user's presence, from Agora's NCS reference:
#   103 broadcaster joins / 104 broadcaster leaves      (live-broadcast profile)
#   105 audience member joins / 106 audience leaves      (live-broadcast profile)
#   107 user joins / 108 user leaves                     (communication profile)
# 111 / 112 (client role changed to broadcaster / audience) carry a clientSeq and are ordered with the rest
# but change no presence; 101 / 102 (channel created / destroyed) have no user and are only recorded.
NCS_PRODUCT_RTC = 1
NCS_JOIN_EVENTS = {103: "broadcaster_join", 105: "audience_join", 107: "user_join"}
NCS_LEAVE_EVENTS = {104: "broadcaster_leave", 106: "audience_leave", 108: "user_leave"}
NCS_ROLE_EVENTS = {111: "role_to_broadcaster", 112: "role_to_audience"}


def ncs_signature_valid(*, body: bytes, signature_v2: str | None, signature_v1: str | None) -> bool:
    """Agora-Signature-V2 is hex HMAC-SHA256 of the raw body, Agora-Signature hex HMAC-SHA1, both keyed with
    the NCS secret. When the V2 header is present it alone decides."""
    secret = settings.AGORA_NCS_SECRET.encode()
    if not secret:
        return False
    if signature_v2:
        expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, signature_v2.strip().lower())
    if signature_v1:
        expected = hmac.new(secret, body, hashlib.sha1).hexdigest()
        return hmac.compare_digest(expected, signature_v1.strip().lower())
    return False


# The columns the numbers go to: bigint, and (product and event type) a positive integer.
_BIGINT_MAX = 2**63 - 1
_POSITIVE_INT_MAX = 2**31 - 1


def _int_or_none(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str) or len(str(value)) > 20:
        raise DomainError("A numeric NCS field is malformed.", code="invalid_ncs")
    try:
        number = int(value)
    except ValueError:
        raise DomainError("A numeric NCS field is malformed.", code="invalid_ncs")
    if not -_BIGINT_MAX <= number <= _BIGINT_MAX:
        raise DomainError("A numeric NCS field is out of range.", code="invalid_ncs")
    return number


@transaction.atomic(durable=True)
def ncs_event_record(*, payload: dict[str, Any]) -> tuple[NcsEvent, bool]:
    """Store one verified NCS delivery (once per noticeId) and apply it to presence.

    A user's events in a channel are applied in clientSeq order: an event whose clientSeq is not newer than
    the last applied one for that user and channel is stored as stale and changes nothing. Returns
    (event, created); a duplicate delivery returns the stored event.
    """
    notice_id = payload.get("noticeId")
    body = payload.get("payload")
    event_type = _int_or_none(payload.get("eventType"))
    if not isinstance(notice_id, str) or not notice_id or event_type is None or not isinstance(body, dict):
        raise DomainError("Not an Agora notification.", code="invalid_ncs")
    if not 0 <= event_type <= _POSITIVE_INT_MAX or json_contains_nul(payload):
        raise DomainError("Not an Agora notification.", code="invalid_ncs")
    existing = NcsEvent.objects.filter(notice_id=notice_id).first()
    if existing is not None:
        return existing, False
    product_id = _int_or_none(payload.get("productId")) or 0
    if not 0 <= product_id <= _POSITIVE_INT_MAX:
        raise DomainError("Not an Agora notification.", code="invalid_ncs")
    uid = _int_or_none(body.get("uid"))
    client_seq = _int_or_none(body.get("clientSeq"))
    channel_name = body.get("channelName") or ""
    if not isinstance(channel_name, str):
        raise DomainError("Not an Agora notification.", code="invalid_ncs")
    channel_name = channel_name[:64]
    event = NcsEvent(
        notice_id=notice_id[:128],
        product_id=product_id,
        event_type=event_type,
        notify_ms=_int_or_none(payload.get("notifyMs")),
        channel_name=channel_name,
        uid=uid if uid is not None and uid >= 0 else None,
        client_seq=client_seq,
        payload=payload,
        outcome=NcsOutcome.RECORDED,
    )
    sequenced = (
        product_id == NCS_PRODUCT_RTC
        and event.uid is not None
        and channel_name != ""
        and event_type in (NCS_JOIN_EVENTS.keys() | NCS_LEAVE_EVENTS.keys() | NCS_ROLE_EVENTS.keys())
    )
    if sequenced:
        assert event.uid is not None
        sequence = ncs_sequence_lock(channel_name=channel_name, uid=event.uid)
        if client_seq is not None and sequence.last_client_seq is not None and client_seq <= sequence.last_client_seq:
            event.outcome = NcsOutcome.STALE
        else:
            event.outcome = NcsOutcome.APPLIED
            if client_seq is not None:
                sequence.last_client_seq = client_seq
                sequence.updated_at = timezone.now()
                sequence.save(update_fields=["last_client_seq", "updated_at"])
    try:
        with transaction.atomic():
            event.save()
    except IntegrityError:
        # The same notice arrived concurrently and the other request stored it first.
        existing = NcsEvent.objects.get(notice_id=notice_id)
        transaction.set_rollback(True)
        return existing, False
    if event.outcome == NcsOutcome.APPLIED and event_type not in NCS_ROLE_EVENTS:
        _ncs_presence_signal(event)
    return event, True


def _ncs_presence_signal(event: NcsEvent) -> None:
    """Inner helper: the caller holds the transaction."""
    subject = channel_subject(event.channel_name)
    if subject is None or event.uid is None:
        return
    use, object_id = subject
    is_present = event.event_type in NCS_JOIN_EVENTS
    detail = (NCS_JOIN_EVENTS | NCS_LEAVE_EVENTS)[event.event_type]
    ts = event.payload.get("payload", {}).get("ts")
    occurred_at = datetime.fromtimestamp(int(ts), tz=UTC) if isinstance(ts, int) else event.received_at
    user = get_user_model().objects.filter(pk=event.uid).first()
    signal = PresenceSignal.objects.create(
        use=use,
        object_id=object_id,
        channel_name=event.channel_name,
        uid=event.uid,
        user=user,
        is_present=is_present,
        detail=detail,
        source=PresenceSource.NCS,
        occurred_at=occurred_at,
        ncs_event=event,
    )
    transaction.on_commit(partial(presence_dispatch, signal.pk))
