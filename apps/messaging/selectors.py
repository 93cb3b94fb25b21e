"""Reads of messaging, scoped to the viewer: only the two people of a conversation ever see it.

Text is only ever read through ``_visible_body``: a paid reply still locked is projected as "" for everyone but
its author, and a hidden message as "" for everyone, inside the SQL query. The column itself is never selected
for them, so no page, partial, search result or export built on these selectors can contain it.
Templates get plain dataclasses, never Message instances.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Case, CharField, Count, F, OuterRef, Q, QuerySet, Subquery, Value, When

from .constants import MESSAGES_PER_PAGE, SEARCH_QUERY_MIN_LENGTH
from .exceptions import ConversationNotFound, MessageNotFound
from .models import Conversation, Message


@dataclass(frozen=True)
class MessageItem:
    id: int
    conversation_id: int
    sender_id: int
    is_mine: bool
    body: str
    is_paid: bool
    price_amount: Decimal | None
    is_locked: bool
    is_hidden: bool
    created_at: datetime
    read_at: datetime | None
    transaction_id: int | None = None

    @property
    def is_locked_for_me(self) -> bool:
        return self.is_locked and not self.is_mine and not self.is_hidden

    @property
    def can_report(self) -> bool:
        return not self.is_mine and not self.is_hidden


@dataclass(frozen=True)
class ConversationItem:
    id: int
    client_id: int
    reader_id: int
    reader_profile_id: int | None
    viewer_is_client: bool
    other_name: str
    is_blocked: bool
    last_message_at: datetime
    unread_count: int = 0
    preview: str = ""
    preview_is_locked: bool = False
    preview_is_hidden: bool = False
    preview_price: Decimal | None = None
    preview_is_mine: bool = False


def _party_q(viewer: Any, prefix: str = "") -> Q:
    return Q(**{f"{prefix}client_id": viewer.pk}) | Q(**{f"{prefix}reader_id": viewer.pk})


def _locked_for_q(viewer: Any) -> Q:
    return Q(is_paid=True, unlocked_at__isnull=True) & ~Q(sender_id=viewer.pk)


def _visible_body(viewer: Any) -> Case:
    return Case(
        When(hidden_at__isnull=False, then=Value("")),
        When(_locked_for_q(viewer), then=Value("")),
        default=F("body"),
        output_field=CharField(),
    )


MESSAGE_FIELDS = (
    "id",
    "conversation_id",
    "sender_id",
    "visible_body",
    "is_paid",
    "price_amount",
    "unlocked_at",
    "hidden_at",
    "created_at",
    "read_at",
    "transaction_id",
)


def _message_rows(viewer: Any, qs: QuerySet[Message]) -> QuerySet[Any]:
    """Message rows as dicts carrying ``visible_body`` and never ``body``."""
    return qs.annotate(visible_body=_visible_body(viewer)).values(*MESSAGE_FIELDS)


def _message_item(viewer: Any, row: dict[str, Any]) -> MessageItem:
    return MessageItem(
        id=row["id"],
        conversation_id=row["conversation_id"],
        sender_id=row["sender_id"],
        is_mine=row["sender_id"] == viewer.pk,
        body=row["visible_body"],
        is_paid=row["is_paid"],
        price_amount=row["price_amount"],
        is_locked=row["is_paid"] and row["unlocked_at"] is None,
        is_hidden=row["hidden_at"] is not None,
        created_at=row["created_at"],
        read_at=row["read_at"],
        transaction_id=row["transaction_id"],
    )


def _viewer_conversations(viewer: Any) -> QuerySet[Conversation]:
    if not getattr(viewer, "is_authenticated", False):
        return Conversation.objects.none()
    return Conversation.objects.filter(_party_q(viewer))


def _other_name(conversation: Conversation, viewer: Any) -> str:
    if conversation.client_id == viewer.pk:
        profile = getattr(conversation.reader, "reader_profile", None)
        return (profile.display_name if profile else "") or conversation.reader.public_name
    return conversation.client.public_name


def _conversation_item(conversation: Conversation, viewer: Any, **extra: Any) -> ConversationItem:
    profile = getattr(conversation.reader, "reader_profile", None)
    return ConversationItem(
        id=conversation.pk,
        client_id=conversation.client_id,
        reader_id=conversation.reader_id,
        reader_profile_id=profile.pk if profile else None,
        viewer_is_client=conversation.client_id == viewer.pk,
        other_name=_other_name(conversation, viewer),
        is_blocked=conversation.is_blocked,
        last_message_at=conversation.last_message_at,
        **extra,
    )


def conversation_list(*, viewer: Any) -> QuerySet[Conversation]:
    """The viewer's conversations, newest activity first, annotated for ``conversation_items``."""
    last = Message.objects.filter(conversation_id=OuterRef("pk")).order_by("-id")
    return (
        _viewer_conversations(viewer)
        .select_related("client", "reader", "reader__reader_profile")
        .annotate(
            unread_count=Count(
                "messages", filter=Q(messages__read_at__isnull=True) & ~Q(messages__sender_id=viewer.pk)
            ),
            preview=Subquery(last.annotate(visible_body=_visible_body(viewer)).values("visible_body")[:1]),
            preview_is_paid=Subquery(last.values("is_paid")[:1]),
            preview_unlocked_at=Subquery(last.values("unlocked_at")[:1]),
            preview_hidden_at=Subquery(last.values("hidden_at")[:1]),
            preview_price=Subquery(last.values("price_amount")[:1]),
            preview_sender_id=Subquery(last.values("sender_id")[:1]),
        )
        .order_by("-last_message_at", "-id")
    )


def conversation_items(*, viewer: Any, conversations: Any) -> list[ConversationItem]:
    """Plain items for a page of ``conversation_list``."""
    items = []
    for conversation in conversations:
        is_mine = conversation.preview_sender_id == viewer.pk
        items.append(
            _conversation_item(
                conversation,
                viewer,
                unread_count=conversation.unread_count,
                preview=conversation.preview or "",
                preview_is_locked=bool(conversation.preview_is_paid and conversation.preview_unlocked_at is None),
                preview_is_hidden=conversation.preview_hidden_at is not None,
                preview_price=conversation.preview_price,
                preview_is_mine=is_mine,
            )
        )
    return items


def conversation_get(*, viewer: Any, conversation_id: int) -> ConversationItem:
    """One of the viewer's conversations; anyone else's raises ``ConversationNotFound``."""
    conversation = (
        _viewer_conversations(viewer)
        .select_related("client", "reader", "reader__reader_profile")
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None:
        raise ConversationNotFound()
    return _conversation_item(conversation, viewer)


def conversation_with_reader_get(*, viewer: Any, reader_id: int) -> ConversationItem | None:
    """The viewer's conversation with the reader whose user id is ``reader_id``, if there is one."""
    conversation = (
        _viewer_conversations(viewer)
        .filter(client_id=viewer.pk, reader_id=reader_id)
        .select_related("client", "reader", "reader__reader_profile")
        .first()
    )
    return _conversation_item(conversation, viewer) if conversation else None


def message_page(
    *, viewer: Any, conversation_id: int, before_id: int | None = None, size: int = MESSAGES_PER_PAGE
) -> tuple[list[MessageItem], bool]:
    """The latest ``size`` messages before ``before_id`` (oldest first), and whether older ones exist."""
    conversation = conversation_get(viewer=viewer, conversation_id=conversation_id)
    qs = Message.objects.filter(conversation_id=conversation.id)
    if before_id is not None:
        qs = qs.filter(id__lt=before_id)
    rows = list(_message_rows(viewer, qs.order_by("-id"))[: size + 1])
    has_older = len(rows) > size
    return [_message_item(viewer, row) for row in reversed(rows[:size])], has_older


def message_new_list(*, viewer: Any, conversation_id: int, after_id: int) -> list[MessageItem]:
    """Messages newer than ``after_id`` in one of the viewer's conversations, oldest first."""
    conversation = conversation_get(viewer=viewer, conversation_id=conversation_id)
    qs = Message.objects.filter(conversation_id=conversation.id, id__gt=after_id).order_by("id")
    return [_message_item(viewer, row) for row in _message_rows(viewer, qs)[:MESSAGES_PER_PAGE]]


def message_get(*, viewer: Any, message_id: int) -> MessageItem:
    """One message of the viewer's conversations (text projected as everywhere else)."""
    qs = Message.objects.filter(pk=message_id, conversation__in=_viewer_conversations(viewer))
    row = _message_rows(viewer, qs).first()
    if row is None:
        raise MessageNotFound()
    return _message_item(viewer, row)


def message_search(*, viewer: Any, query: str) -> QuerySet[Any]:
    """The viewer's messages whose visible text contains ``query``, newest first.

    Matches only text the viewer can read: a locked paid reply or a hidden message never matches.
    """
    query = (query or "").strip()
    if len(query) < SEARCH_QUERY_MIN_LENGTH:
        return Message.objects.annotate(visible_body=_visible_body(viewer)).none().values(*MESSAGE_FIELDS)
    qs = Message.objects.filter(conversation__in=_viewer_conversations(viewer), hidden_at__isnull=True)
    qs = qs.exclude(_locked_for_q(viewer))
    return (
        qs.annotate(visible_body=_visible_body(viewer))
        .filter(visible_body__icontains=query)
        .order_by("-id")
        .values(*MESSAGE_FIELDS)
    )


def search_items(*, viewer: Any, rows: Any) -> list[tuple[MessageItem, ConversationItem]]:
    """Search result rows with the conversation each belongs to."""
    rows = list(rows)
    ids = {row["conversation_id"] for row in rows}
    conversations = {
        c.pk: _conversation_item(c, viewer)
        for c in _viewer_conversations(viewer)
        .filter(pk__in=ids)
        .select_related("client", "reader", "reader__reader_profile")
    }
    return [(_message_item(viewer, row), conversations[row["conversation_id"]]) for row in rows]


def unread_total(*, viewer: Any) -> int:
    """How many messages sent to the viewer they have not seen yet (all conversations)."""
    if not getattr(viewer, "is_authenticated", False):
        return 0
    return (
        Message.objects.filter(read_at__isnull=True, conversation__in=_viewer_conversations(viewer))
        .exclude(sender_id=viewer.pk)
        .count()
    )


def reader_recipient_list(*, query: str) -> QuerySet[Any]:
    """Listed readers a client can write to, found by name."""
    from apps.readers.selectors import reader_listed_list

    query = (query or "").strip()
    if len(query) < SEARCH_QUERY_MIN_LENGTH:
        return reader_listed_list().none()
    return reader_listed_list().filter(display_name__icontains=query).order_by("display_name")[:20]


def reader_recipient_get(*, reader_profile_id: int) -> Any:
    """A listed reader a client can write to (raises ``ReaderNotFound``)."""
    from apps.readers.exceptions import ReaderNotFound
    from apps.readers.selectors import reader_listed_list

    reader = reader_listed_list().select_related("user").filter(pk=reader_profile_id).first()
    if reader is None:
        raise ReaderNotFound()
    return reader
