"""Suspension: a moderator suspends a user for a period or until lifted; the user is told; every write path refuses
them with the reason and the end in their time zone, while they can still read, flag and use their wallet."""

import uuid
import zoneinfo
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.accounts.tests.factories import AdminFactory, UserFactory, give_totp
from apps.core.exceptions import PermissionDeniedError
from apps.core.models import AuditLog
from apps.messaging.models import Message
from apps.messaging.tests.factories import conversation_with
from apps.moderation import services
from apps.moderation.enums import ReportStatus
from apps.moderation.exceptions import UserSuspended
from apps.moderation.guards import active_suspension, write_guard
from apps.moderation.models import Report, Suspension
from apps.notifications.models import Notification

pytestmark = pytest.mark.django_db
User = get_user_model()


def _fresh(user):
    """The user as a new request would load them (the suspension is cached per user object)."""
    return User.objects.get(pk=user.pk)


def _suspend(user, *, until=None, reason="Spam in the chat."):
    return services.user_suspend(moderator=AdminFactory(), user=user, reason=reason, until=until)


def test_user_suspend_tells_user_audits_and_guard_states_reason_and_end_in_their_zone():
    # given a user in New York
    user = UserFactory(timezone="America/New_York")
    moderator = AdminFactory()
    until = timezone.now().replace(microsecond=0) + timedelta(days=7)
    # when a moderator suspends them for a week
    suspension = services.user_suspend(moderator=moderator, user=user, reason="Insults.", until=until)
    # then they are told in the app and by email, it is audited, and writing is refused with the reason and end
    told = Notification.objects.get(user=user, kind="account.suspended")
    assert told.email_requested and "Insults." in told.body and "America/New_York" in told.body
    audit = AuditLog.objects.get(action="moderation.user_suspended")
    assert audit.actor == moderator and audit.details["suspension_id"] == suspension.pk
    with pytest.raises(UserSuspended) as refused:
        write_guard(_fresh(user))
    local = until.astimezone(zoneinfo.ZoneInfo(user.timezone))
    assert refused.value.status_code == 403
    assert "Insults." in refused.value.message and f"{local:%H:%M} (America/New_York)" in refused.value.message


def test_user_suspend_until_lifted_then_lift_allows_writing_again():
    # given a user suspended until lifted
    user = UserFactory()
    _suspend(user)
    with pytest.raises(UserSuspended, match="until a moderator lifts it"):
        write_guard(_fresh(user))
    # when a moderator lifts it
    moderator = AdminFactory()
    assert services.user_suspension_lift(moderator=moderator, user=user, note="Apologised") == 1
    # then the user may write, was told, and it is audited
    write_guard(_fresh(user))
    assert Notification.objects.filter(user=user, kind="account.suspension_lifted").count() == 1
    assert AuditLog.objects.get(action="moderation.user_suspension_lifted").details["note"] == "Apologised"
    with pytest.raises(Exception, match="not suspended"):
        services.user_suspension_lift(moderator=moderator, user=user)


def test_write_guard_suspension_over_no_longer_blocks():
    # given a suspension that ended an hour ago
    user = UserFactory()
    now = timezone.now()
    Suspension.objects.create(
        user=user, reason="Old", starts_at=now - timedelta(days=2), ends_at=now - timedelta(hours=1)
    )
    # when / then
    write_guard(_fresh(user))
    assert active_suspension(_fresh(user)) is None


def test_write_guard_one_query_per_user_object():
    # given a suspended user loaded once, as for one request
    user = UserFactory()
    _suspend(user)
    fresh = _fresh(user)
    # when the guard and the banner ask several times
    with CaptureQueriesContext(connection) as captured:
        for _ in range(3):
            with pytest.raises(UserSuspended):
                write_guard(fresh)
        assert active_suspension(fresh) is not None
    # then one query
    assert len(captured.captured_queries) == 1


@pytest.mark.parametrize("who", ["client", "reader"])
def test_user_suspend_by_non_moderator_refused_nothing_written(who):
    from apps.accounts.tests.factories import ReaderFactory

    actor = UserFactory() if who == "client" else ReaderFactory()
    with pytest.raises(PermissionDeniedError):
        services.user_suspend(moderator=actor, user=UserFactory(), reason="No", until=None)
    assert not Suspension.objects.exists()


def test_user_suspend_admin_or_self_or_without_reason_refused():
    moderator = AdminFactory()
    for user, reason in ((AdminFactory(), "Reason"), (moderator, "Reason"), (UserFactory(), "  ")):
        with pytest.raises(Exception) as refused:
            services.user_suspend(moderator=moderator, user=user, reason=reason, until=None)
        assert refused.value.status_code == 400
    assert not Suspension.objects.exists()


def test_user_suspend_again_replaces_the_one_in_force():
    user = UserFactory()
    first = _suspend(user, until=timezone.now() + timedelta(days=1))
    second = _suspend(user, until=None, reason="Again")
    first.refresh_from_db()
    assert first.lifted_at is not None
    assert active_suspension(_fresh(user)).pk == second.pk


def test_report_decide_suspend_hides_suspends_author_for_the_period_and_resolves():
    # given a reader's message reported by the client
    conversation = conversation_with()
    message = Message.objects.create(conversation=conversation, sender=conversation.reader, body="Pay me on PayPal")
    report = services.report_create(
        reporter=conversation.client, type_key="messaging.message", object_id=message.pk, reason="scam"
    )
    # when a moderator suspends its author for 7 days
    before = timezone.now()
    services.report_decide(
        actor=AdminFactory(),
        report_id=report.pk,
        action="suspend",
        suspension_period="7",
        suspension_reason="Asking for payment off the platform.",
    )
    # then the message is hidden, the reader suspended for a week and told, the report resolved
    message.refresh_from_db()
    report.refresh_from_db()
    suspension = Suspension.objects.get(user=conversation.reader)
    assert message.is_hidden and report.status == ReportStatus.RESOLVED and report.action == "suspend"
    assert suspension.report == report and suspension.reason == "Asking for payment off the platform."
    assert timedelta(days=7) <= suspension.ends_at - before < timedelta(days=7, minutes=1)
    assert Notification.objects.filter(user=conversation.reader, kind="account.suspended").count() == 1
    assert AuditLog.objects.get(action="moderation.report_resolved").details["suspension_id"] == suspension.pk


def test_report_decide_suspend_without_period_or_reason_refused_nothing_changes():
    conversation = conversation_with()
    message = Message.objects.create(conversation=conversation, sender=conversation.reader, body="Rude")
    report = services.report_create(
        reporter=conversation.client, type_key="messaging.message", object_id=message.pk, reason="harassment"
    )
    for period, reason in (("", "Reason"), ("7", ""), ("3", "Reason")):
        with pytest.raises(Exception) as refused:
            services.report_decide(
                actor=AdminFactory(),
                report_id=report.pk,
                action="suspend",
                suspension_period=period,
                suspension_reason=reason,
            )
        assert refused.value.status_code == 400
    message.refresh_from_db()
    assert not message.is_hidden and not Suspension.objects.exists()
    assert Report.objects.get().status == ReportStatus.OPEN


# --- every write path refuses a suspended user ------------------------------------------------------------------


def _reading(*, finish: bool = False, accept: bool = True):
    from apps.readings.services import session_accept, session_end, session_finalize, session_request
    from apps.readings.tests.helpers import credit, make_reader

    client = UserFactory()
    reader = make_reader(rate=Decimal("1.00"))
    credit(client, Decimal("10.00"))
    session = session_request(client=client, reader=reader, modality="text")
    if accept:
        session_accept(reader=reader, session_id=session.pk)
    if finish:
        session_end(actor=client, session_id=session.pk)
        session_finalize(session_id=session.pk)
    return session, client, reader


def _client_message():
    from apps.messaging.services import client_message_send
    from apps.messaging.tests.factories import listed_reader

    reader = listed_reader().user
    return UserFactory(), lambda user: client_message_send(actor=user, reader_id=reader.pk, body="Hello")


def _paid_reply():
    from apps.messaging.services import reader_reply_send

    conversation = conversation_with()
    return conversation.reader, lambda user: reader_reply_send(
        actor=user, conversation_id=conversation.pk, body="The cards say yes", is_paid=True, price_amount="2.00"
    )


def _reading_request():
    from apps.readings.services import session_request
    from apps.readings.tests.helpers import credit, make_reader

    client, reader = UserFactory(), make_reader(rate=Decimal("1.00"))
    credit(client, Decimal("10.00"))
    return client, lambda user: session_request(client=user, reader=reader, modality="text")


def _reading_accept():
    from apps.readings.services import session_accept

    session, _, reader = _reading(accept=False)
    return reader, lambda user: session_accept(reader=user, session_id=session.pk)


def _reading_chat():
    from apps.readings.services.chat import session_message_post

    session, client, _ = _reading()
    return client, lambda user: session_message_post(sender=user, session_id=session.pk, body="Hello")


def _review():
    from apps.readings.services.reviews import review_create

    session, client, _ = _reading(finish=True)
    return client, lambda user: review_create(client=user, session_id=session.pk, rating=5, body="Lovely")


def _review_reply():
    from apps.readings.models import Review
    from apps.readings.services.reviews import review_reply

    session, client, reader = _reading(finish=True)
    review = Review.objects.create(session=session, client=client, reader=reader, rating=2, body="Meh")
    return reader, lambda user: review_reply(reader=user, review_id=review.pk, body="Thank you")


def _booking():
    from apps.scheduling.services.booking import booking_create

    reader = UserFactory()
    return UserFactory(), lambda user: booking_create(
        client=user,
        reader_id=reader.pk,
        starts_at=timezone.now() + timedelta(days=2),
        duration_minutes=30,
        modality="video",
        idempotency_key=str(uuid.uuid4()),
    )


def _booking_move():
    from apps.readings.tests.helpers import credit, make_reader
    from apps.scheduling.services.cancellation import booking_reschedule
    from apps.scheduling.tests.factories import booking_funded

    client, reader = UserFactory(), make_reader(rate=Decimal("1.00"))
    credit(client, Decimal("50.00"))
    starts = timezone.now() + timedelta(days=3)
    booking = booking_funded(client=client, reader=reader, starts_at=starts, duration_minutes=15)
    return client, lambda user: booking_reschedule(
        client=user, booking_id=booking.pk, starts_at=starts + timedelta(days=1)
    )


def _stream_chat():
    from apps.live.services.chat import chat_post
    from apps.live.tests.factories import live_stream

    stream = live_stream()
    return UserFactory(), lambda user: chat_post(actor=user, stream=stream, body="Hello")


def _gift():
    from apps.live.services.payments import gift_send
    from apps.live.tests.factories import funded, gift_kind, live_stream

    stream, kind = live_stream(), gift_kind()
    return funded(), lambda user: gift_send(
        actor=user, stream_id=stream.pk, gift_kind_id=kind.pk, client_key=str(uuid.uuid4())
    )


def _go_live():
    from apps.live.services.streams import stream_go_live
    from apps.live.tests.factories import make_host

    return make_host(), lambda user: stream_go_live(actor=user, title="Tonight")


def _stream_schedule():
    from apps.live.services.streams import stream_create
    from apps.live.tests.factories import make_host

    return make_host(), lambda user: stream_create(actor=user, title="Tomorrow")


def _stream_start():
    from apps.live.services.streams import stream_start
    from apps.live.tests.factories import scheduled_stream

    stream = scheduled_stream()
    return stream.host, lambda user: stream_start(actor=user, stream_id=stream.pk)


WRITE_PATHS = {
    "message to a reader": _client_message,
    "paid reply": _paid_reply,
    "reading request": _reading_request,
    "reading accept": _reading_accept,
    "reading chat": _reading_chat,
    "review": _review,
    "review reply": _review_reply,
    "booking": _booking,
    "booking move": _booking_move,
    "stream chat": _stream_chat,
    "gift": _gift,
    "go live": _go_live,
    "stream schedule": _stream_schedule,
    "stream start": _stream_start,
}


def _row_counts() -> dict[str, int]:
    from apps.live.models import Stream, StreamGift, StreamMessage
    from apps.readings.models import ReadingSession, Review, SessionMessage
    from apps.scheduling.models import Booking
    from apps.wallet.models import Posting

    models = (Message, ReadingSession, SessionMessage, Review, Booking, Stream, StreamMessage, StreamGift, Posting)
    return {model.__name__: model.objects.count() for model in models}


@pytest.mark.parametrize("path", sorted(WRITE_PATHS))
def test_write_path_refuses_suspended_user_nothing_written(path):
    # given the user about to write, suspended with a reason
    user, write = WRITE_PATHS[path]()
    _suspend(user, reason="Abusive messages.")
    before = _row_counts()
    # when
    with pytest.raises(UserSuspended) as refused:
        write(_fresh(user))
    # then refused with the reason, and nothing written
    assert "Abusive messages." in refused.value.message
    assert _row_counts() == before


# --- what a suspended user sees ---------------------------------------------------------------------------------


def test_suspended_user_sees_banner_reads_wallet_and_may_flag_but_post_answers_403():
    # given a client suspended for a day, in a conversation with a reader who sent a rude message
    conversation = conversation_with()
    rude = Message.objects.create(conversation=conversation, sender=conversation.reader, body="Rude")
    client_user = conversation.client
    _suspend(client_user, until=timezone.now() + timedelta(days=1), reason="Threats.")
    browser = Client()
    browser.force_login(client_user)
    thread = reverse("messaging:conversation", args=[conversation.pk])
    # when they read their pages
    pages = [browser.get(url) for url in (thread, reverse("wallet:home"), reverse("pages:home"))]
    # then each page shows the banner with the reason, and reading works
    for page in pages:
        assert page.status_code == 200
        assert 'data-testid="suspension-banner"' in page.content.decode() and "Threats." in page.content.decode()
    # when they write in the conversation
    sent = browser.post(thread, {"body": "Hello again"})
    # then the form shows the refusal with the reason (beside the banner) and nothing is written
    assert sent.status_code == 400 and sent.content.decode().count("Threats.") == 2
    assert not Message.objects.filter(body="Hello again").exists()
    # and they may still flag what they read
    flagged = browser.post(reverse("moderation:report", args=["messaging.message", rude.pk]), {"reason": "harassment"})
    assert flagged.status_code == 302 and Report.objects.filter(reporter=client_user).exists()


def test_moderator_user_page_suspends_and_lifts(client):
    # given a moderator (admin with two-factor) and a user
    admin = AdminFactory()
    give_totp(admin)
    client.force_login(admin)
    user = UserFactory()
    url = reverse("moderation:user", args=[user.pk])
    # when they suspend from the page, then lift it
    suspended = client.post(url, {"action": "suspend", "period": "30", "reason": "Spam."})
    assert suspended.status_code == 302
    assert active_suspension(_fresh(user)).ends_at > timezone.now() + timedelta(days=29)
    assert "Spam." in client.get(url).content.decode()
    lifted = client.post(url, {"action": "lift", "note": ""})
    # then
    assert lifted.status_code == 302 and active_suspension(_fresh(user)) is None
    refused = client.post(url, {"action": "suspend", "period": "30", "reason": ""})
    assert refused.status_code == 400 and Suspension.objects.count() == 1
