"""Row locks of the live app. Callers hold the transaction; locks are taken before any ledger posting."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any, NamedTuple, TypeVar

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Model

from apps.core.db import prepared_cursor
from apps.core.permissions import has_verified_email_sql

from .access import AccessFacts, access_facts_sql
from .models import GiftKind, Stream, StreamGift, StreamViewer

M = TypeVar("M", bound=Model)


def stream_lock(*, stream_id: int) -> Stream:
    """Lock one stream for a change of its state (raises Stream.DoesNotExist)."""
    return Stream.objects.select_for_update(of=("self",)).get(pk=stream_id)


def stream_key_share_lock(*, stream_id: int) -> Stream:
    """Hold a stream in its state while a ticket or gift is paid for (raises Stream.DoesNotExist).

    FOR KEY SHARE: payments in the same stream do not wait for each other (nor for heartbeats, which update
    no key), but ``stream_lock`` (FOR UPDATE, ending the stream) waits for the payments in flight, so no gift
    lands in a stream after its end and the host's summary is final.
    """
    rows = list(Stream.objects.raw("SELECT * FROM live_stream WHERE id = %s FOR KEY SHARE", [stream_id]))
    if not rows:
        raise Stream.DoesNotExist()
    return rows[0]


class StreamPayment(NamedTuple):
    """A stream held for a payment (``stream.host`` read with it) and what the payment checks of the payer."""

    stream: Stream
    facts: AccessFacts
    payer_email_verified: bool


class GiftPayment(NamedTuple):
    """What sending one gift checks, read in one statement: the stream held for the payment (None when there is
    no such stream), the active catalog entry asked for, and the sender's gift sent earlier with the same key."""

    payment: StreamPayment | None
    gift_kind: GiftKind | None
    earlier_gift: StreamGift | None


def _columns(model: type[Model], alias: str) -> tuple[str, tuple[str, ...]]:
    fields = model._meta.concrete_fields
    return (
        ", ".join(f"{alias}.{connection.ops.quote_name(field.column)}" for field in fields),
        tuple(field.attname for field in fields),
    )


@lru_cache(maxsize=1)
def _gift_payment_sql() -> tuple[str, tuple[tuple[type[Model], tuple[str, ...]], ...]]:
    # Built once from the models' columns: the gift path runs it on every gift.
    parts = [(Stream, "s"), (get_user_model(), "u"), (GiftKind, "k"), (StreamGift, "g")]
    selects = {alias: _columns(model, alias) for model, alias in parts}
    user_table = get_user_model()._meta.db_table
    sql = (
        f"SELECT {selects['s'][0]}, {selects['u'][0]}, "  # noqa: S608  # nosec B608: model tables and columns; values are parameters
        f"{access_facts_sql(stream='s', viewer_param='%(payer)s')}, {has_verified_email_sql('%(payer)s')}, "
        f"{selects['k'][0]}, {selects['g'][0]} "
        f"FROM {Stream._meta.db_table} s JOIN {user_table} u ON u.id = s.host_id "
        f"LEFT JOIN {GiftKind._meta.db_table} k ON k.id = %(gift_kind)s AND k.is_active "
        f"LEFT JOIN {StreamGift._meta.db_table} g ON g.sender_id = %(payer)s AND g.client_key = %(key)s "
        "WHERE s.id = %(stream)s FOR KEY SHARE OF s"
    )
    return sql, tuple((model, selects[alias][1]) for model, alias in parts)


def _take(model: type[M], attnames: Sequence[str], row: Sequence[Any], at: int) -> tuple[M | None, int]:
    values = row[at : at + len(attnames)]
    end = at + len(attnames)
    if values[0] is None:  # the primary key of a LEFT JOIN that found nothing
        return None, end
    return model.from_db(connection.alias, attnames, values), end


def stream_gift_lock(*, stream_id: int, sender_id: int, gift_kind_id: int, client_key: str) -> GiftPayment:
    """Hold a stream in its state for a gift (FOR KEY SHARE, as ``stream_key_share_lock``), reading in the same
    statement its host, the sender's access facts and verified email, the catalog entry and the sender's earlier
    gift with ``client_key``. No row when the stream does not exist: then nothing is locked and the caller looks
    the earlier gift up itself."""
    sql, parts = _gift_payment_sql()
    params = {"stream": stream_id, "payer": sender_id, "gift_kind": gift_kind_id, "key": client_key}
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return GiftPayment(None, None, None)
    (stream_model, stream_cols), (user_model, user_cols), (kind_model, kind_cols), (gift_model, gift_cols) = parts
    stream, at = _take(stream_model, stream_cols, row, 0)
    host, at = _take(user_model, user_cols, row, at)
    assert isinstance(stream, Stream)
    stream._state.fields_cache["host"] = host
    is_invited, has_ticket_row, is_removed, email_verified = row[at : at + 4]
    gift_kind, at = _take(kind_model, kind_cols, row, at + 4)
    earlier, _ = _take(gift_model, gift_cols, row, at)
    facts = AccessFacts(
        viewer_id=sender_id, is_invited=is_invited, has_ticket_row=has_ticket_row, is_removed=is_removed
    )
    return GiftPayment(StreamPayment(stream, facts, email_verified), gift_kind, earlier)  # type: ignore[arg-type]


def viewer_lock(*, stream_id: int, user_id: int) -> StreamViewer:
    """Lock one viewer row (raises StreamViewer.DoesNotExist)."""
    return StreamViewer.objects.select_for_update(of=("self",)).get(stream_id=stream_id, user_id=user_id)


def gift_kind_lock(*, gift_kind_id: int) -> GiftKind | None:
    """Lock one catalog entry for an admin's change (None when there is no such entry)."""
    return GiftKind.objects.select_for_update(of=("self",)).filter(pk=gift_kind_id).first()
