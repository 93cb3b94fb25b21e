"""What viewers pay in a stream: a premium ticket and gifts. Each payment is one ledger transaction
(wallet → ``earnings:<host>`` at the reader's rate, the rest to ``platform:revenue``), written in the same database
transaction as its ticket or gift row and its event; nothing is written when the wallet cannot pay."""

from __future__ import annotations

import logging
import re
from functools import partial
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.core.db import prepared_cursor
from apps.core.exceptions import PermissionDeniedError
from apps.core.permissions import has_verified_email
from apps.core.services import audit_log_record
from apps.moderation.guards import write_guard
from apps.wallet.enums import TransactionKind
from apps.wallet.exceptions import IdempotencyConflict
from apps.wallet.services.ledger import ledger_post
from apps.wallet.services.shares import reader_share_postings

from ..access import stream_access_for
from ..constants import STREAM_SUBJECT
from ..enums import EventKind, StreamState, Visibility
from ..exceptions import (
    GiftKindNotFound,
    InvalidStream,
    NotForHost,
    RemovedFromStream,
    StreamNotFound,
    StreamNotLive,
    StreamStateConflict,
    TicketNotNeeded,
)
from ..locks import stream_gift_lock, stream_key_share_lock
from ..models import Stream, StreamEvent, StreamGift, StreamTicket

logger = logging.getLogger(__name__)

_CLIENT_KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def _stream_for_payment(*, actor: Any, stream_id: int) -> Stream:
    """Inner helper: the stream, held in its state until the caller's transaction ends."""
    try:
        stream = stream_key_share_lock(stream_id=stream_id)
    except Stream.DoesNotExist:
        raise StreamNotFound()
    return stream


VERIFY_EMAIL_MESSAGE = "Please verify your email address before paying from your wallet."


def _require_verified_email(actor: Any) -> None:
    if not has_verified_email(actor):
        raise PermissionDeniedError(VERIFY_EMAIL_MESSAGE)


def _display_name(user: Any) -> str:
    profile = getattr(user, "reader_profile", None)
    return getattr(profile, "display_name", "") or user.public_name


# --- tickets ------------------------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def ticket_buy(*, actor: Any, stream_id: int) -> StreamTicket:
    """Buy the ticket of a premium stream (before it starts or while it is live).

    One ticket per person and stream: the ledger key ``ticket:<stream>:<user>`` and the unique ticket row make a
    second purchase, even a simultaneous one, return the first ticket without charging again.
    """
    stream = _stream_for_payment(actor=actor, stream_id=stream_id)
    access = stream_access_for(viewer=actor, stream=stream)
    if not access.can_see:
        raise StreamNotFound()
    if access.is_host:
        raise NotForHost("You host this stream; you do not need a ticket.")
    if stream.visibility != Visibility.PREMIUM or stream.ticket_price_amount is None:
        raise TicketNotNeeded()
    existing = StreamTicket.objects.filter(stream=stream, user=actor).first()
    if existing is not None:
        return existing
    if stream.state == StreamState.ENDED:
        raise StreamStateConflict("This stream has ended; tickets are no longer sold.")
    if access.is_removed:
        raise RemovedFromStream()
    _require_verified_email(actor)

    price = stream.ticket_price_amount
    shares = reader_share_postings(amount=price, reader=stream.host, payer=actor)
    txn = ledger_post(
        kind=TransactionKind.TICKET,
        idempotency_key=f"ticket:{stream.pk}:{actor.pk}",
        postings=shares.postings,
        user=actor,
        actor=actor,
        memo=f"Ticket for the livestream “{stream.title}”"[:255],
        subject_type=STREAM_SUBJECT,
        subject_id=stream.pk,
    )
    try:
        with transaction.atomic():
            ticket = StreamTicket.objects.create(stream=stream, user=actor, price_amount=price, transaction=txn)
    except IntegrityError:  # a simultaneous purchase got the ledger key first and wrote the ticket
        return StreamTicket.objects.get(stream=stream, user=actor)
    StreamEvent.objects.create(stream=stream, kind=EventKind.TICKET, user=actor)
    audit_log_record(
        actor=actor,
        action="live.ticket_bought",
        target=ticket,
        details={
            "stream_id": stream.pk,
            "transaction_id": txn.pk,
            "amount": f"{price:.2f}",
            "reader_amount": f"{shares.reader_amount:.2f}",
        },
    )
    return ticket


# --- gifts ----------------------------------------------------------------------------------------------------


def gift_client_key_clean(raw: Any) -> str:
    key = str(raw or "").strip()
    if not _CLIENT_KEY.match(key):
        raise InvalidStream("This gift could not be sent (its request key is missing); reload the page and try again.")
    return key


@transaction.atomic(durable=True)
def gift_send(*, actor: Any, stream_id: int, gift_kind_id: int, client_key: Any) -> StreamGift:
    """Send a gift from the catalog in a live stream.

    ``client_key`` is the page's idempotency key for this one gift: sent again (a double click, a retried request)
    it returns the first gift and charges nothing more; with another gift or stream it is refused. The gift row and
    its event are written with the ledger transaction; viewers' pages see it once this commits. A wallet that
    cannot pay raises ``InsufficientFunds`` and nothing is written.

    Every gift runs this on the hot path, so its statements are few: one reads everything the gift checks while
    holding the stream (``stream_gift_lock``), one the three accounts, one the reader's rate, then the ledger's
    lock and write, and one writes the gift and its event.
    """
    key = gift_client_key_clean(client_key)
    stream_id, gift_kind_id = int(stream_id), int(gift_kind_id)
    found = stream_gift_lock(stream_id=stream_id, sender_id=actor.pk, gift_kind_id=gift_kind_id, client_key=key)
    if found.earlier_gift is None and found.payment is None:
        found = found._replace(earlier_gift=StreamGift.objects.filter(sender=actor, client_key=key).first())
    if found.earlier_gift is not None:
        return _replayed(found.earlier_gift, stream_id=stream_id, gift_kind_id=gift_kind_id)
    if found.payment is None:
        raise StreamNotFound()
    stream = found.payment.stream
    access = stream_access_for(viewer=actor, stream=stream, facts=found.payment.facts)
    if not access.can_see or access.needs_ticket:
        raise StreamNotFound()
    if access.is_removed:
        raise RemovedFromStream()
    if access.is_host:
        raise NotForHost("Gifts are for your viewers to send; you cannot send one in your own stream.")
    write_guard(actor)
    if stream.state != StreamState.LIVE:
        raise StreamNotLive("Gifts can be sent while the stream is live.")
    gift_kind = found.gift_kind
    if gift_kind is None:
        raise GiftKindNotFound()
    if not found.payment.payer_email_verified:
        raise PermissionDeniedError(VERIFY_EMAIL_MESSAGE)

    shares = reader_share_postings(amount=gift_kind.price_amount, reader=stream.host, payer=actor)
    txn = ledger_post(
        kind=TransactionKind.GIFT,
        idempotency_key=f"gift:{actor.pk}:{key}",
        postings=shares.postings,
        user=actor,
        actor=actor,
        memo=f"{gift_kind.name} in the livestream “{stream.title}”"[:255],
        subject_type=STREAM_SUBJECT,
        subject_id=stream.pk,
    )
    gift = StreamGift(
        stream=stream,
        sender=actor,
        gift_kind=gift_kind,
        name=gift_kind.name,
        animation=gift_kind.animation,
        price_amount=gift_kind.price_amount,
        reader_amount=shares.reader_amount,
        transaction=txn,
        client_key=key,
        created_at=timezone.now(),
    )
    if not _gift_with_event_insert(gift):  # the same key sent twice at once: the other request wrote the gift
        return _replayed(
            StreamGift.objects.get(sender=actor, client_key=key), stream_id=stream_id, gift_kind_id=gift_kind_id
        )
    transaction.on_commit(partial(_gift_published, gift_id=gift.pk, stream_id=stream.pk))
    return gift


_GIFT_FIELDS = (
    "stream_id",
    "sender_id",
    "gift_kind_id",
    "name",
    "animation",
    "price_amount",
    "reader_amount",
    "transaction_id",
    "client_key",
    "created_at",
)


def _gift_with_event_insert(gift: StreamGift) -> bool:
    """Insert ``gift`` and its stream event in one statement; False (nothing written) when the sender's key was
    used by a gift that committed first. Inner helper: the caller holds the transaction."""
    values = [getattr(gift, field) for field in _GIFT_FIELDS]
    placeholders = ", ".join(["%s"] * len(values))
    with prepared_cursor() as cursor:
        cursor.execute(
            f"WITH g AS (INSERT INTO {StreamGift._meta.db_table} ({', '.join(_GIFT_FIELDS)}) "  # noqa: S608  # nosec B608: fixed columns
            f"VALUES ({placeholders}) ON CONFLICT (sender_id, client_key) DO NOTHING RETURNING id, created_at), "
            f"e AS (INSERT INTO {StreamEvent._meta.db_table} (stream_id, kind, user_id, gift_id, created_at) "
            "SELECT %s::bigint, %s::text, %s::bigint, g.id, g.created_at FROM g) "
            "SELECT id FROM g",
            [*values, gift.stream_id, EventKind.GIFT, gift.sender_id],
        )
        row = cursor.fetchone()
    if row is None:
        return False
    gift.pk = row[0]
    gift._state.adding = False
    gift._state.db = connection.alias
    return True


def _replayed(gift: StreamGift, *, stream_id: int, gift_kind_id: int) -> StreamGift:
    if gift.stream_id != int(stream_id) or gift.gift_kind_id != int(gift_kind_id):
        raise IdempotencyConflict("This gift request was already used for another gift; reload the page.")
    return gift


def _gift_published(*, gift_id: int, stream_id: int) -> None:
    """After commit: the gift is now an event every viewer's page reads (by polling, or at once after the
    sender's page rings the stream's RTM doorbell). Logged for the operators' view of the stream."""
    logger.info("live gift published", extra={"gift_id": gift_id, "stream_id": stream_id})
