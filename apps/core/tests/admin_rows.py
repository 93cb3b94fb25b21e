"""Rows of every model our apps register read-only in the Django admin, one per call, for the admin registration tests.

Each maker writes exactly one row of its model (and whatever that row points to) and takes the admin user, as the
makers of ``test_admin_registrations`` do. Money rows point to real ledger transactions, posted through the ledger.
"""

from collections.abc import Callable
from datetime import date, time, timedelta
from decimal import Decimal
from itertools import count
from typing import Any

from django.db import models
from django.utils import timezone

from apps.accounts.models import ReaderApplication
from apps.accounts.tests.factories import ReaderFactory, UserFactory, reader_application_create
from apps.community.models import Attachment, Category, Post, PostRevision, Thread
from apps.community.tests.factories import forum, thread_by
from apps.core.models import AuditLog, OutboxMessage
from apps.core.services import audit_log_record
from apps.live.enums import EventKind, StreamState, Visibility
from apps.live.models import (
    GiftKind,
    Stream,
    StreamEvent,
    StreamGift,
    StreamInvite,
    StreamMessage,
    StreamTicket,
    StreamViewer,
)
from apps.live.tests.factories import gift_kind
from apps.messaging.models import Conversation, Message
from apps.messaging.tests.factories import conversation_with, listed_reader
from apps.notifications.models import Notification
from apps.pages.models import SupportReply, SupportTicket
from apps.pages.tests.factories import SupportTicketFactory
from apps.payouts.enums import PayoutSource
from apps.payouts.models import Payout, PayoutAccount
from apps.privacy.models import DataExport, DeletionRequest
from apps.readers.enums import Modality
from apps.readers.models import ReaderProfile
from apps.readings.enums import SessionState
from apps.readings.models import ReadingSession, Review, SessionEvent
from apps.rtc.enums import ConnectionState, NcsOutcome, PresenceSource, RtcRole
from apps.rtc.models import NcsEvent, PresenceSignal, RtcConnectionEvent, RtcTokenGrant
from apps.scheduling.enums import BookingEvent, ExceptionKind
from apps.scheduling.models import Booking, BookingInvite, DateException, ReaderSchedule, TimeBlock, WeeklyWindow
from apps.scheduling.tests.factories import ReaderScheduleFactory
from apps.wallet.models import (
    Account,
    Dispute,
    LedgerCheckRun,
    Posting,
    ReconciliationRun,
    Refund,
    StripeEvent,
    TopUp,
    Transaction,
)
from apps.wallet.services.ledger import wallet_account
from tests.support.money import top_up

_numbers = count(1)

Maker = Callable[[Any], models.Model]


def _audit_log(admin: Any) -> AuditLog:
    user = UserFactory()
    return audit_log_record(actor=admin, action="accounts.user.suspended", target=user, details={"reason": "Spam"})


def _outbox_message(admin: Any) -> OutboxMessage:
    return OutboxMessage.objects.create(
        name="notifications.email",
        kwargs={"user_id": admin.pk},
        dedupe_key=f"moon:{next(_numbers)}",
        next_attempt_at=timezone.now(),
    )


def _user(admin: Any) -> Any:
    return UserFactory(display_name="Moon Reader")


def _reader_application(admin: Any) -> ReaderApplication:
    return reader_application_create(UserFactory(), specialties="tarot, moon")  # type: ignore[no-any-return]


def _transaction(admin: Any) -> Transaction:
    return top_up(UserFactory(), Decimal("25.00"), stripe_checkout_session_id=f"cs_moon{next(_numbers)}")


def _account(admin: Any) -> Account:
    return wallet_account(UserFactory())


def _posting(admin: Any) -> Posting:
    return _transaction(admin).postings.order_by("pk").first()  # type: ignore[attr-defined,no-any-return]


def _ledger_check_run(admin: Any) -> LedgerCheckRun:
    return LedgerCheckRun.objects.create(finished_at=timezone.now(), is_ok=True, report={"violations": []})


def _stripe_event(admin: Any) -> StripeEvent:
    n = next(_numbers)
    return StripeEvent.objects.create(
        stripe_event_id=f"evt_moon{n}",
        type="checkout.session.completed",
        payload={"id": f"evt_moon{n}"},
        payment_intent_id=f"pi_moon{n}",
    )


def _topup(admin: Any) -> TopUp:
    return TopUp.objects.create(
        user=UserFactory(), amount=Decimal("25.00"), stripe_checkout_session_id=f"cs_moon{next(_numbers)}"
    )


def _refund(admin: Any) -> Refund:
    topup = _topup(admin)
    return Refund.objects.create(
        topup=topup, user=topup.user, amount=Decimal("5.00"), reason="Charged twice", requested_by=admin
    )


def _dispute(admin: Any) -> Dispute:
    topup = _topup(admin)
    return Dispute.objects.create(
        stripe_dispute_id=f"dp_moon{next(_numbers)}", topup=topup, user=topup.user, amount=Decimal("25.00")
    )


def _reconciliation_run(admin: Any) -> ReconciliationRun:
    today = timezone.localdate()
    return ReconciliationRun.objects.create(
        since=today - timedelta(days=1), until=today, finished_at=timezone.now(), is_clean=True
    )


def _message(admin: Any) -> Message:
    return conversation_with(first_message="Will the moon help?").messages.get()  # type: ignore[attr-defined,no-any-return]


def _reading_session(admin: Any) -> ReadingSession:
    return ReadingSession.objects.create(
        client=UserFactory(),
        reader=ReaderFactory(),
        modality=Modality.VIDEO,
        rate_amount=Decimal("2.00"),
        state=SessionState.ENDED,
        channel_name=f"reading-moon-{next(_numbers)}",
        intake_note="Private: my marriage is ending.",
        ended_at=timezone.now(),
    )


def _session_event(admin: Any) -> SessionEvent:
    session = _reading_session(admin)
    return SessionEvent.objects.create(
        session=session,
        from_state=SessionState.ACTIVE,
        to_state=SessionState.ENDED,
        reason="client_ended",
        actor=session.client,
        at=timezone.now(),
    )


def _review(admin: Any) -> Review:
    session = _reading_session(admin)
    return Review.objects.create(
        session=session, client=session.client, reader=session.reader, rating=5, body="Spot on about the moon."
    )


def _reader_schedule(admin: Any) -> ReaderSchedule:
    return ReaderScheduleFactory()  # type: ignore[no-any-return]


def _weekly_window(admin: Any) -> WeeklyWindow:
    return WeeklyWindow.objects.create(reader=ReaderFactory(), weekday=2, start_time=time(9), end_time=time(17))


def _date_exception(admin: Any) -> DateException:
    return DateException.objects.create(reader=ReaderFactory(), date=date(2027, 1, 1), kind=ExceptionKind.DAY_OFF)


def _time_block(admin: Any) -> TimeBlock:
    starts = timezone.now() + timedelta(days=3)
    return TimeBlock.objects.create(reader=ReaderFactory(), starts_at=starts, ends_at=starts + timedelta(hours=2))


def _booking(admin: Any) -> Booking:
    starts = (timezone.now() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    return Booking.objects.create(
        client=UserFactory(),
        reader=ReaderFactory(),
        modality=Modality.VIDEO,
        duration_minutes=30,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=30),
        rate_amount=Decimal("2.00"),
        price_amount=Decimal("60.00"),
        intake_note="Private: ask about my father.",
        idempotency_key=f"moon-booking-{next(_numbers)}",
    )


def _booking_invite(admin: Any) -> BookingInvite:
    booking = _booking(admin)
    return BookingInvite.objects.create(
        booking=booking, recipient=booking.client, event=BookingEvent.CREATED, sequence=0
    )


def _stream(admin: Any) -> Stream:
    return Stream.objects.create(host=ReaderFactory(), title=f"Full moon tarot {next(_numbers)}")


def _premium_stream() -> Stream:
    return Stream.objects.create(
        host=ReaderFactory(),
        title=f"Premium moon reading {next(_numbers)}",
        visibility=Visibility.PREMIUM,
        ticket_price_amount=Decimal("5.00"),
        state=StreamState.LIVE,
        started_at=timezone.now(),
    )


def _stream_invite(admin: Any) -> StreamInvite:
    return StreamInvite.objects.create(stream=_stream(admin), user=UserFactory())


def _stream_ticket(admin: Any) -> StreamTicket:
    buyer = UserFactory()
    return StreamTicket.objects.create(
        stream=_premium_stream(), user=buyer, price_amount=Decimal("5.00"), transaction=top_up(buyer, "5.00")
    )


def _gift_kind(admin: Any) -> GiftKind:
    return gift_kind(name=f"Moon {next(_numbers)}")


def _stream_gift(admin: Any) -> StreamGift:
    sender = UserFactory()
    kind = _gift_kind(admin)
    return StreamGift.objects.create(
        stream=_premium_stream(),
        sender=sender,
        gift_kind=kind,
        name=kind.name,
        animation=kind.animation,
        price_amount=kind.price_amount,
        reader_amount=Decimal("0.70"),
        transaction=top_up(sender, kind.price_amount),
        client_key=f"gift-{next(_numbers)}",
    )


def _stream_event(admin: Any) -> StreamEvent:
    return StreamEvent.objects.create(stream=_premium_stream(), kind=EventKind.JOIN, user=UserFactory())


def _stream_message(admin: Any) -> StreamMessage:
    return StreamMessage.objects.create(stream=_premium_stream(), sender=UserFactory(), body="The moon is bright.")


def _stream_viewer(admin: Any) -> StreamViewer:
    return StreamViewer.objects.create(stream=_premium_stream(), user=UserFactory(), last_seen_at=timezone.now())


def _payout_account(admin: Any) -> PayoutAccount:
    return PayoutAccount.objects.create(reader=ReaderFactory(), stripe_account_id=f"acct_moon{next(_numbers)}")


def _payout(admin: Any) -> Payout:
    n = next(_numbers)
    return Payout.objects.create(
        reader=ReaderFactory(),
        amount=Decimal("40.00"),
        source=PayoutSource.REQUEST,
        stripe_account_id=f"acct_moon{n}",
        batch_key=f"2026-W{n}",
        requested_by=admin,
    )


def _data_export(admin: Any) -> DataExport:
    return DataExport.objects.create(user=UserFactory())


def _deletion_request(admin: Any) -> DeletionRequest:
    return DeletionRequest.objects.create(user=UserFactory(), requested_at=timezone.now())


def _category(admin: Any) -> Category:
    return forum(name=f"Moon forum {next(_numbers)}")


def _thread(admin: Any) -> Thread:
    return thread_by(category=_category(admin), title=f"New moon rituals {next(_numbers)}")


def _post(admin: Any) -> Post:
    return _thread(admin).posts.get()  # type: ignore[attr-defined,no-any-return]


def _post_revision(admin: Any) -> PostRevision:
    post = _post(admin)
    return PostRevision.objects.create(
        post=post, body="First moon draft", title=post.thread.title, edited_by=post.author
    )


def _attachment(admin: Any) -> Attachment:
    n = next(_numbers)
    return Attachment.objects.create(
        post=_post(admin),
        storage_key=f"forum/moon-{n}.jpg",
        filename=f"moon-{n}.jpg",
        content_type="image/jpeg",
        size_bytes=2048,
        width=64,
        height=64,
    )


def _conversation(admin: Any) -> Conversation:
    return conversation_with()


def _notification(admin: Any) -> Notification:
    return Notification.objects.create(user=UserFactory(), kind="wallet.topped_up", title="Your moon top-up landed")


def _reader_profile(admin: Any) -> ReaderProfile:
    return listed_reader(display_name=f"Moon Reader {next(_numbers)}")


def _support_ticket(admin: Any) -> SupportTicket:
    ticket = SupportTicketFactory(requester=UserFactory(), subject="My moon reading dropped")
    SupportReply.objects.create(ticket=ticket, author=admin, body="We refunded the minute.")
    return ticket  # type: ignore[no-any-return]


def _rtc_token_grant(admin: Any) -> RtcTokenGrant:
    n = next(_numbers)
    return RtcTokenGrant.objects.create(
        user=UserFactory(),
        use="reading",
        object_id=str(n),
        channel_name=f"reading-moon-{n}",
        uid=n,
        role=RtcRole.PUBLISHER,
        expires_at=timezone.now() + timedelta(hours=1),
    )


def _rtc_connection_event(admin: Any) -> RtcConnectionEvent:
    n = next(_numbers)
    return RtcConnectionEvent.objects.create(
        user=UserFactory(),
        use="reading",
        object_id=str(n),
        channel_name=f"reading-moon-{n}",
        uid=n,
        state=ConnectionState.CONNECTED,
    )


def _ncs_event(admin: Any) -> NcsEvent:
    n = next(_numbers)
    return NcsEvent.objects.create(
        notice_id=f"notice-moon-{n}",
        product_id=1,
        event_type=103,
        channel_name=f"reading-moon-{n}",
        uid=n,
        payload={"noticeId": f"notice-moon-{n}"},
        outcome=NcsOutcome.APPLIED,
    )


def _presence_signal(admin: Any) -> PresenceSignal:
    n = next(_numbers)
    return PresenceSignal.objects.create(
        use="reading",
        object_id=str(n),
        channel_name=f"reading-moon-{n}",
        uid=n,
        user=UserFactory(),
        is_present=True,
        source=PresenceSource.CLIENT,
        occurred_at=timezone.now(),
    )


# Read-only registrations that predate the shared base and now use it.
SHARED_BASE_MODELS: list[tuple[type[models.Model], Maker]] = [
    (Conversation, _conversation),
    (Notification, _notification),
    (ReaderProfile, _reader_profile),
    (SupportTicket, _support_ticket),
    (RtcTokenGrant, _rtc_token_grant),
    (RtcConnectionEvent, _rtc_connection_event),
    (NcsEvent, _ncs_event),
    (PresenceSignal, _presence_signal),
]

MORE_MODELS: list[tuple[type[models.Model], Maker]] = [
    (AuditLog, _audit_log),
    (OutboxMessage, _outbox_message),
    (UserFactory._meta.model, _user),
    (ReaderApplication, _reader_application),
    (Account, _account),
    (Transaction, _transaction),
    (Posting, _posting),
    (LedgerCheckRun, _ledger_check_run),
    (StripeEvent, _stripe_event),
    (TopUp, _topup),
    (Refund, _refund),
    (Dispute, _dispute),
    (ReconciliationRun, _reconciliation_run),
    (Message, _message),
    (ReadingSession, _reading_session),
    (SessionEvent, _session_event),
    (Review, _review),
    (ReaderSchedule, _reader_schedule),
    (WeeklyWindow, _weekly_window),
    (DateException, _date_exception),
    (TimeBlock, _time_block),
    (Booking, _booking),
    (BookingInvite, _booking_invite),
    (Stream, _stream),
    (StreamInvite, _stream_invite),
    (StreamTicket, _stream_ticket),
    (GiftKind, _gift_kind),
    (StreamGift, _stream_gift),
    (StreamEvent, _stream_event),
    (StreamMessage, _stream_message),
    (StreamViewer, _stream_viewer),
    (PayoutAccount, _payout_account),
    (Payout, _payout),
    (DataExport, _data_export),
    (DeletionRequest, _deletion_request),
    (Category, _category),
    (Thread, _thread),
    (Post, _post),
    (PostRevision, _post_revision),
    (Attachment, _attachment),
]
