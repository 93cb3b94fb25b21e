from decimal import Decimal
from itertools import count
from typing import Any

from apps.accounts.tests.factories import AdminFactory, ReaderFactory, UserFactory, image_upload
from apps.messaging.models import Conversation, Message
from apps.readers.models import ReaderProfile, Specialty
from apps.wallet.services.adjustments import adjustment_create

_keys = count(1)


def listed_reader(**profile: Any) -> ReaderProfile:
    """An active reader with a complete, published profile: listed in the directory, so clients can write."""
    user = profile.pop("user", None) or ReaderFactory()
    values = {
        "display_name": f"{user.display_name} Reader",
        "headline": "Clear, kind guidance",
        "bio": "I have read cards for many years.",
        "photo": image_upload(),
        "text_rate_amount": Decimal("2.00"),
        "lowest_rate_amount": Decimal("2.00"),
        "is_published": True,
    }
    values.update(profile)
    reader_profile = ReaderProfile.objects.create(user=user, **values)
    specialty, _ = Specialty.objects.get_or_create(slug="tarot", defaults={"name": "Tarot"})
    reader_profile.specialties.add(specialty)
    return reader_profile


def conversation_with(
    client: Any = None, reader: Any = None, first_message: str = "Hello, can you help?"
) -> Conversation:
    """A conversation a client opened with a (listed) reader, with the client's first message, written directly."""
    from django.utils import timezone

    client = client or UserFactory()
    reader = reader or listed_reader().user
    conversation = Conversation.objects.create(client=client, reader=reader, last_message_at=timezone.now())
    Message.objects.create(conversation=conversation, sender=client, body=first_message)
    return conversation


def paid_reply(conversation: Conversation, body: str, price: Decimal = Decimal("2.00")) -> Message:
    return Message.objects.create(
        conversation=conversation, sender=conversation.reader, body=body, is_paid=True, price_amount=price
    )


def fund_wallet(user: Any, amount: Decimal) -> None:
    """Credit ``user``'s wallet through the ledger's audited admin adjustment."""
    adjustment_create(
        actor=AdminFactory(),
        user=user,
        amount=amount,
        reason="Test credit",
        idempotency_key=f"test-credit:{user.pk}:{next(_keys)}",
    )
