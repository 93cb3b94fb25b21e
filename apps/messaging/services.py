"""Write services of messaging: sending, paid-reply unlocks, read marks, blocking, moderation hooks.

Nothing here ever puts the text of a paid reply into a notification, an email or an audit row.
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.enums import Role
from apps.core.ratelimit import rate_limit_consume
from apps.core.services import audit_log_record
from apps.moderation.guards import write_guard
from apps.notifications.services import notification_wants_email, notify
from apps.readers.constants import PAID_REPLY_DEFAULT_AMOUNT, PAID_REPLY_MAX_AMOUNT, PAID_REPLY_MIN_AMOUNT
from apps.readers.models import ReaderProfile
from apps.readers.selectors import reader_listed_list
from apps.wallet.enums import TransactionKind
from apps.wallet.services.ledger import ledger_post, wallet_account
from apps.wallet.services.shares import reader_share_postings

from .constants import EMAIL_BATCH_WINDOW, MESSAGE_MAX_LENGTH, SEND_RATE_LIMIT, SEND_RATE_WINDOW_SECONDS
from .enums import NotificationKind
from .exceptions import (
    ConversationBlocked,
    ConversationNotFound,
    InvalidMessage,
    InvalidPrice,
    MessageNotFound,
    NoColdMessages,
    NotUnlockable,
    RecipientUnavailable,
)
from .locks import conversation_lock, message_lock
from .models import Conversation, EmailBatch, Message

# --- input -------------------------------------------------------------------------------------------


def message_body_clean(body: Any) -> str:
    """The text of a message: trimmed, not empty, at most MESSAGE_MAX_LENGTH characters."""
    text = str(body or "").replace("\r\n", "\n").strip()
    if not text:
        raise InvalidMessage()
    if len(text) > MESSAGE_MAX_LENGTH:
        raise InvalidMessage(f"Messages can be at most {MESSAGE_MAX_LENGTH} characters long ({len(text)} given).")
    return text


def paid_reply_price_clean(raw: Any) -> Decimal:
    """A paid reply's price in dollars and cents, within the platform's bounds."""
    try:
        amount = Decimal(str(raw).strip().lstrip("$"))
    except (InvalidOperation, ValueError):
        raise InvalidPrice()
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise InvalidPrice("Enter the price in dollars and cents, for example 2.50.")
    if not PAID_REPLY_MIN_AMOUNT <= amount <= PAID_REPLY_MAX_AMOUNT:
        raise InvalidPrice(f"A paid reply costs between ${PAID_REPLY_MIN_AMOUNT} and ${PAID_REPLY_MAX_AMOUNT}.")
    return amount.quantize(Decimal("0.01"))


def paid_reply_default_price(*, reader: Any) -> Decimal:
    price = ReaderProfile.objects.filter(user=reader).values_list("paid_reply_amount", flat=True).first()
    return price if price is not None else PAID_REPLY_DEFAULT_AMOUNT


def _send_rate_limit_consume(user: Any) -> None:
    rate_limit_consume(
        scope="message",
        subject_id=user.pk,
        limit=SEND_RATE_LIMIT,
        window_seconds=SEND_RATE_WINDOW_SECONDS,
        message=(
            f"You can send up to {SEND_RATE_LIMIT} messages a minute. Your message was not sent; "
            "please wait a moment and send it again."
        ),
    )


def _is_active_reader(user: Any) -> bool:
    return user.is_active and user.role == Role.READER


# --- notifications -----------------------------------------------------------------------------------


def _email_batch_claim(*, conversation: Conversation, recipient: Any, kind: str) -> bool:
    """Whether this notification may also go out by email: at most one per conversation per window.

    Inner helper (caller's transaction). The unique row plus a conditional UPDATE decide, so two messages
    arriving at once claim the window only once.
    """
    if not (recipient.is_active and notification_wants_email(user=recipient, kind=kind)):
        return False
    now = timezone.now()
    batch, created = EmailBatch.objects.get_or_create(
        conversation=conversation, recipient=recipient, defaults={"last_emailed_at": now}
    )
    if created:
        return True
    return bool(
        EmailBatch.objects.filter(pk=batch.pk, last_emailed_at__lte=now - EMAIL_BATCH_WINDOW).update(
            last_emailed_at=now
        )
    )


def _notify_new_message(*, message: Message, conversation: Conversation, recipient: Any) -> None:
    sender_name = _display_name(message.sender)
    if message.is_paid:
        kind = NotificationKind.PAID_REPLY
        title = f"{sender_name} sent you a paid reply (${message.price_amount})"
        body = "Unlock it in your messages to read it."
    else:
        kind = NotificationKind.NEW_MESSAGE
        title = f"New message from {sender_name}"
        body = "Open the conversation to read it."
    notify(
        user=recipient,
        kind=kind,
        title=title,
        body=body,
        url=reverse("messaging:conversation", args=[conversation.pk]),
        email=_email_batch_claim(conversation=conversation, recipient=recipient, kind=kind),
    )


def _display_name(user: Any) -> str:
    profile_name = ReaderProfile.objects.filter(user=user).values_list("display_name", flat=True).first()
    return profile_name or user.public_name


# --- sending -----------------------------------------------------------------------------------------


def client_message_send(*, actor: Any, reader_id: int, body: Any) -> Message:
    """A client writes to a reader (always free); the first message opens their conversation.

    ``reader_id`` is the reader's user id. Rate limited to SEND_RATE_LIMIT a minute; nothing is written when
    refused.
    """
    text = message_body_clean(body)
    if not (getattr(actor, "is_authenticated", False) and actor.role == Role.CLIENT):
        raise RecipientUnavailable("Only clients can start a conversation with a reader.")
    write_guard(actor)
    _send_rate_limit_consume(actor)
    return _client_message_insert(actor=actor, reader_id=reader_id, text=text)


@transaction.atomic(durable=True)
def _client_message_insert(*, actor: Any, reader_id: int, text: str) -> Message:
    conversation = Conversation.objects.filter(client=actor, reader_id=reader_id).first()
    if conversation is None:
        profile = reader_listed_list().filter(user_id=reader_id).select_related("user").first()
        if profile is None:
            raise RecipientUnavailable()
        try:
            with transaction.atomic():
                conversation = Conversation.objects.create(
                    client=actor, reader=profile.user, last_message_at=timezone.now()
                )
        except IntegrityError:  # the client's other tab opened it at the same moment
            conversation = Conversation.objects.get(client=actor, reader_id=reader_id)
    conversation = conversation_lock(conversation_id=conversation.pk)
    if conversation.is_blocked:
        raise ConversationBlocked("You blocked this reader. Unblock them to write again.")
    if not _is_active_reader(conversation.reader):
        raise RecipientUnavailable()
    return _message_insert(conversation=conversation, sender=actor, recipient=conversation.reader, text=text)


def reader_reply_send(
    *, actor: Any, conversation_id: int, body: Any, is_paid: bool = False, price_amount: Any = None
) -> Message:
    """A reader answers in a conversation a client opened: free, or paid (locked until the client unlocks it).

    The price defaults to the reader's paid-reply price and must lie within the platform's bounds.
    """
    text = message_body_clean(body)
    price = None
    if is_paid:
        price = paid_reply_price_clean(
            price_amount if price_amount not in (None, "") else paid_reply_default_price(reader=actor)
        )
    write_guard(actor)
    _send_rate_limit_consume(actor)
    return _reader_reply_insert(actor=actor, conversation_id=conversation_id, text=text, price=price)


@transaction.atomic(durable=True)
def _reader_reply_insert(*, actor: Any, conversation_id: int, text: str, price: Decimal | None) -> Message:
    try:
        conversation = conversation_lock(conversation_id=conversation_id)
    except Conversation.DoesNotExist:
        raise ConversationNotFound()
    if conversation.reader_id != actor.pk:
        raise ConversationNotFound()
    if not conversation.messages.filter(sender_id=conversation.client_id).exists():
        raise NoColdMessages()
    if conversation.is_blocked:
        raise ConversationBlocked("This client does not accept messages from you.")
    if not conversation.client.is_active:
        raise RecipientUnavailable("This client's account is closed.")
    return _message_insert(
        conversation=conversation, sender=actor, recipient=conversation.client, text=text, price=price
    )


def _message_insert(
    *, conversation: Conversation, sender: Any, recipient: Any, text: str, price: Decimal | None = None
) -> Message:
    """Inner helper: the caller holds the transaction and the conversation's lock."""
    message = Message(
        conversation=conversation, sender=sender, body=text, is_paid=price is not None, price_amount=price
    )
    message.full_clean(exclude=["conversation", "sender", "transaction"])
    message.save(force_insert=True)
    conversation.last_message_at = message.created_at
    conversation.save(update_fields=["last_message_at"])
    _notify_new_message(message=message, conversation=conversation, recipient=recipient)
    return message


def message_send(
    *, actor: Any, conversation_id: int, body: Any, is_paid: bool = False, price_amount: Any = None
) -> Message:
    """Send in an existing conversation, as whichever of its two people ``actor`` is."""
    conversation = Conversation.objects.filter(pk=conversation_id).values("client_id", "reader_id").first()
    if conversation is None:
        raise ConversationNotFound()
    if conversation["client_id"] == actor.pk:
        return client_message_send(actor=actor, reader_id=conversation["reader_id"], body=body)
    if conversation["reader_id"] == actor.pk:
        return reader_reply_send(
            actor=actor, conversation_id=conversation_id, body=body, is_paid=is_paid, price_amount=price_amount
        )
    raise ConversationNotFound()


# --- paid replies --------------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def message_unlock(*, actor: Any, message_id: int, request: HttpRequest | None = None) -> Message:
    """The client pays for a paid reply and may read it from then on.

    Debits the client's wallet and credits the reader's earnings (reader share) and platform revenue (the rest)
    in one ledger transaction keyed "paid_reply:<id>:unlock", so a reply is paid for once however often this
    runs. The reply's row is locked and re-checked first. Without enough money, ``InsufficientFunds`` leaves
    everything as it was and the reply stays locked.
    """
    try:
        message = message_lock(message_id=message_id)
    except Message.DoesNotExist:
        raise MessageNotFound()
    conversation = Conversation.objects.select_related("client", "reader").get(pk=message.conversation_id)
    if conversation.client_id != actor.pk or message.sender_id != conversation.reader_id:
        raise MessageNotFound()
    if not message.is_paid:
        raise NotUnlockable("This reply is free; there is nothing to unlock.")
    if message.unlocked_at is not None:
        return message
    if message.is_hidden:
        raise NotUnlockable("This reply was removed by a moderator and cannot be unlocked.")

    amount = message.price_amount
    postings, reader_amount, platform_amount = reader_share_postings(
        amount=amount, reader=conversation.reader, source_account=wallet_account(actor)
    )
    txn = ledger_post(
        kind=TransactionKind.PAID_REPLY,
        idempotency_key=f"paid_reply:{message.pk}:unlock",
        postings=postings,
        user=actor,
        actor=actor,
        memo=f"Paid reply {message.pk} from {_display_name(conversation.reader)}",
    )
    message.unlocked_at = timezone.now()
    message.transaction = txn
    message.save(update_fields=["unlocked_at", "transaction"])
    audit_log_record(
        actor=actor,
        action="messaging.paid_reply_unlocked",
        target=message,
        details={
            "conversation_id": conversation.pk,
            "transaction_id": txn.pk,
            "amount": f"{amount:.2f}",
            "reader_amount": f"{reader_amount:.2f}",
            "platform_amount": f"{platform_amount:.2f}",
        },
        request=request,
    )
    notify(
        user=conversation.reader,
        kind=NotificationKind.REPLY_UNLOCKED,
        title=f"{_display_name(actor)} unlocked your paid reply (you earned ${reader_amount})",
        url=reverse("messaging:conversation", args=[conversation.pk]),
        email=_email_batch_claim(
            conversation=conversation, recipient=conversation.reader, kind=NotificationKind.REPLY_UNLOCKED
        ),
    )
    return message


# --- reading, blocking, moderation --------------------------------------------------------------------


def conversation_mark_read(*, viewer: Any, conversation_id: int) -> int:
    """Mark what the other person sent in one of ``viewer``'s conversations as read; returns how many."""
    return (
        Message.objects.filter(conversation_id=conversation_id, read_at__isnull=True)
        .filter(conversation__in=Conversation.objects.filter(pk=conversation_id).filter(_party_q(viewer)))
        .exclude(sender_id=viewer.pk)
        .update(read_at=timezone.now())
    )


def _party_q(viewer: Any) -> Q:
    return Q(client_id=viewer.pk) | Q(reader_id=viewer.pk)


@transaction.atomic(durable=True)
def conversation_block_set(*, actor: Any, conversation_id: int, blocked: bool) -> Conversation:
    """The client blocks (or unblocks) the reader of one of their conversations."""
    try:
        conversation = conversation_lock(conversation_id=conversation_id)
    except Conversation.DoesNotExist:
        raise ConversationNotFound()
    if conversation.client_id != actor.pk:
        raise ConversationNotFound()
    if blocked and conversation.blocked_at is None:
        conversation.blocked_at = timezone.now()
    elif not blocked:
        conversation.blocked_at = None
    conversation.save(update_fields=["blocked_at"])
    return conversation
