"""A person with data in every app, written through the apps' own services, each text carrying a marker.

Tests of the export and of deletion build two of them (different markers) who share one reader, so that one
person's marker showing up in the other's export, or surviving deletion anywhere, is caught.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from apps.accounts.services import user_update_profile
from apps.accounts.tests.factories import UserFactory, image_upload, reader_application_create
from apps.live.services.chat import chat_post
from apps.live.services.streams import stream_end, stream_go_live
from apps.messaging.services import client_message_send
from apps.moderation.services import report_create
from apps.notifications.models import Notification
from apps.pages.models import SupportTicket
from apps.readings.services import session_accept, session_end, session_finalize, session_request
from apps.readings.services.chat import session_message_post
from apps.readings.services.reviews import review_create, review_reply, session_note_save
from apps.readings.tests.helpers import credit, make_reader
from apps.scheduling.services.cancellation import booking_cancel_by_client
from apps.scheduling.tests.factories import booking_funded
from apps.wallet.models import StripeEvent, TopUp


@dataclass
class Person:
    user: Any
    marker: str
    reader: Any


def shared_reader() -> Any:
    """A listed, online reader with a text rate: the other party of everyone's readings and messages."""
    return make_reader(rate=Decimal("1.00"))


def person_with_data(marker: str, *, reader: Any) -> Person:
    """A client with a profile, avatar, reader application, a finished reading (intake, chat line, note, review),
    a message, a cancelled booking, a stream chat line, a report, a support ticket, a notification, a top-up and
    its Stripe event. Every text they wrote contains ``marker``; their email and names do too."""
    user = UserFactory(email=f"{marker.lower()}@example.com", display_name=f"{marker} Name")
    user_update_profile(
        user=user,
        display_name=f"{marker} Name",
        timezone="Europe/Paris",
        theme="dark",
        notify_email_messages=True,
        notify_email_readings=True,
        notify_email_account=True,
        avatar=image_upload(f"{marker.lower()}-avatar.png"),
    )
    user.refresh_from_db()
    application = reader_application_create(user)
    type(application).objects.filter(pk=application.pk).update(bio=f"My path, {marker} bio")
    credit(user, Decimal("40.00"))
    # A finished reading with everything its parties write around it.
    reading = session_request(client=user, reader=reader, modality="text", intake_note=f"{marker} intake")
    session_accept(reader=reader, session_id=reading.pk)
    session_message_post(sender=user, session_id=reading.pk, body=f"{marker} chat line")
    session_message_post(sender=reader, session_id=reading.pk, body="The reader's answer")
    session_end(actor=user, session_id=reading.pk)
    reading = session_finalize(session_id=reading.pk)
    session_note_save(author=user, session_id=reading.pk, body=f"{marker} private note")
    review = review_create(client=user, session_id=reading.pk, rating=4, body=f"{marker} review")
    review_reply(reader=reader, review_id=review.pk, body="Thank you for coming.")
    client_message_send(actor=user, reader_id=reader.pk, body=f"{marker} message")
    booking = booking_funded(
        client=user,
        reader=reader,
        starts_at=timezone.now() + timedelta(days=5),
        duration_minutes=15,
        rate_amount=Decimal("1.00"),
        intake_note=f"{marker} booking note",
    )
    booking_cancel_by_client(client=user, booking_id=booking.pk)
    stream = stream_go_live(actor=reader, title="Evening tarot")
    chat_post(actor=user, stream=stream, body=f"{marker} stream chat")
    stream_end(actor=reader, stream_id=stream.pk)
    reader_line = _reader_reply(user, reader)
    report_create(
        reporter=user, type_key="messaging.message", object_id=reader_line.pk, reason="spam", details=f"{marker} report"
    )
    SupportTicket.objects.create(
        requester=user, name=f"{marker} Name", email=user.email, subject=f"{marker} subject", message=f"{marker} ask"
    )
    Notification.objects.create(user=user, kind="account.export_ready", title=f"{marker} notification")
    topup = TopUp.objects.create(
        user=user,
        amount=Decimal("5.00"),
        status=TopUp.Status.PAID,
        stripe_checkout_session_id=f"cs_test_{user.pk}",
        stripe_payment_intent_id=f"pi_test_{user.pk}",
    )
    StripeEvent.objects.create(
        stripe_event_id=f"evt_test_{user.pk}",
        type="checkout.session.completed",
        payload={"data": {"object": {"customer_details": {"email": user.email, "name": f"{marker} Name"}}}},
        status=StripeEvent.Status.DONE,
        payment_intent_id=topup.stripe_payment_intent_id,
    )
    return Person(user=user, marker=marker, reader=reader)


def _reader_reply(user: Any, reader: Any) -> Any:
    from apps.messaging.models import Conversation, Message

    conversation = Conversation.objects.get(client=user, reader=reader)
    return Message.objects.create(conversation=conversation, sender=reader, body="A reply from the reader")
