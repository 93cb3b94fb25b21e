"""Pages of live readings: starting from a profile, the reader's requests panel, the room, the summary,
receipt and transcript, notes, reviews, history, and the admin's list of reviews.

Every reading page answers its two parties and 404s anyone else (anonymous visitors are sent to sign in)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.tests.factories import ReaderFactory, UserFactory
from apps.core.models import AuditLog
from apps.readers.enums import Presence
from apps.readers.models import ReaderProfile
from apps.readings.enums import EndReason, SessionState
from apps.readings.models import ReadingSession, Review, SessionMessage, SessionNote
from apps.readings.services import (
    session_accept,
    session_bill_tick,
    session_end,
    session_finalize,
    session_heartbeat,
    session_request,
)
from apps.readings.tests.helpers import credit, make_reader, wallet_balance

pytestmark = pytest.mark.django_db

APP_ID = "970CA35de60c44645bbae8a215061b33"
APP_CERTIFICATE = "5CFd2fd1755d40ecb72977518be15d3b"


def profile_of(reader) -> ReaderProfile:
    return ReaderProfile.objects.get(user=reader)


def live_reading(client_user, *, rate=Decimal("2.00"), funds=Decimal("10.00"), modality="text", reader=None):
    reader = reader or make_reader(rate=rate)
    credit(client_user, funds)
    session = session_request(client=client_user, reader=reader, modality=modality)
    return session_accept(reader=reader, session_id=session.pk), reader


def finished_reading(client_user, **kwargs):
    session, reader = live_reading(client_user, **kwargs)
    session_end(actor=client_user, session_id=session.pk)
    return session_finalize(session_id=session.pk), reader


# --- Starting a reading ---------------------------------------------------------------------------------


def test_start_panel_online_reader_offers_the_request_form(client, client_user):
    # given
    reader = make_reader(rate=Decimal("3.00"))
    client.force_login(client_user)
    # when
    response = client.get(reverse("readings:start_panel", args=[profile_of(reader).pk]))
    # then
    body = response.content.decode()
    assert response.status_code == 200
    assert "Request a reading" in body
    assert "Chat · $3.00/min" in body
    assert "Spending limit" in body
    assert "Voice" not in body  # Agora is not configured in tests


@pytest.mark.parametrize("presence", [Presence.OFFLINE, Presence.BUSY])
def test_start_panel_unavailable_reader_offers_no_request(client, client_user, presence):
    # given
    reader = make_reader()
    ReaderProfile.objects.filter(user=reader).update(presence=presence)
    client.force_login(client_user)
    # when
    response = client.get(reverse("readings:start_panel", args=[profile_of(reader).pk]))
    # then
    body = response.content.decode()
    assert "Request a reading" not in body
    assert ("in another reading" if presence == Presence.BUSY else "offline right now") in body


def test_start_request_with_funds_opens_the_waiting_room_and_the_reader_sees_it(client, client_user):
    # given
    reader = make_reader(rate=Decimal("2.00"))
    credit(client_user, Decimal("5.00"))
    client.force_login(client_user)
    # when
    response = client.post(
        reverse("readings:start", args=[profile_of(reader).pk]),
        {"modality": "text", "intake_note": "About my new job", "spending_cap": "4.00"},
    )
    # then
    session = ReadingSession.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("readings:room", args=[session.pk])
    assert session.state == SessionState.WAITING
    assert session.spending_cap_amount == Decimal("4.00")
    room = client.get(response["Location"]).content.decode()
    assert "Waiting for" in room and "seconds left" in room
    # and the reader's dashboard panel shows the request with its note and the answer buttons
    client.force_login(reader)
    panel = client.get(reverse("readings:incoming_panel")).content.decode()
    assert "About my new job" in panel
    assert "Accept the chat reading with" in panel
    assert f'data-request-ids="{session.pk}"' in panel


def test_incoming_panel_unchanged_answers_no_content(client):
    # given a reader with one waiting request whose panel is already on screen
    client_user = UserFactory()
    reader = make_reader()
    credit(client_user, Decimal("5.00"))
    session = session_request(client=client_user, reader=reader, modality="text")
    client.force_login(reader)
    # when the panel polls with what it shows
    response = client.get(reverse("readings:incoming_panel"), {"known": str(session.pk)})
    # then nothing is swapped
    assert response.status_code == 204
    assert client.get(reverse("readings:incoming_panel"), {"known": ""}).status_code == 200


def test_incoming_panel_shows_only_the_readers_own_requests(client):
    # given a request to another reader
    client_user = UserFactory()
    credit(client_user, Decimal("5.00"))
    session_request(client=client_user, reader=make_reader(), modality="text", intake_note="private question")
    me = make_reader()
    client.force_login(me)
    # when
    body = client.get(reverse("readings:incoming_panel")).content.decode()
    # then
    assert "private question" not in body
    assert "No requests right now" in body


def test_incoming_panel_client_gets_404(client, client_user):
    client.force_login(client_user)
    assert client.get(reverse("readings:incoming_panel")).status_code == 404


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("no_funds", "at least one minute ($2.00)"),
        ("unverified", "Verify your email address"),
        ("offline", "offline right now"),
        ("busy", "in another reading right now"),
    ],
)
def test_start_request_refused_shows_why_and_creates_nothing(client, case, message):
    # given
    client_user = UserFactory(verified=case != "unverified")
    reader = make_reader(rate=Decimal("2.00"))
    if case != "no_funds":
        credit(client_user, Decimal("10.00"))
    else:
        credit(client_user, Decimal("1.99"))
    if case == "offline":
        ReaderProfile.objects.filter(user=reader).update(presence=Presence.OFFLINE)
    if case == "busy":
        ReaderProfile.objects.filter(user=reader).update(presence=Presence.BUSY)
    client.force_login(client_user)
    # when
    response = client.post(reverse("readings:start", args=[profile_of(reader).pk]), {"modality": "text"})
    # then
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ReadingSession.objects.exists()
    if case == "no_funds":
        assert "Add funds to your wallet" in response.content.decode()


def test_start_request_spending_cap_below_one_minute_is_refused(client, client_user):
    # given
    reader = make_reader(rate=Decimal("2.00"))
    credit(client_user, Decimal("10.00"))
    client.force_login(client_user)
    # when
    response = client.post(
        reverse("readings:start", args=[profile_of(reader).pk]), {"modality": "text", "spending_cap": "1.00"}
    )
    # then
    assert response.status_code == 400
    assert "must cover at least one minute" in response.content.decode()
    assert not ReadingSession.objects.exists()


def test_start_request_anonymous_is_sent_to_sign_in(client):
    reader = make_reader()
    response = client.post(reverse("readings:start", args=[profile_of(reader).pk]), {"modality": "text"})
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
    assert not ReadingSession.objects.exists()


# --- Accept / decline -----------------------------------------------------------------------------------------


def test_accept_by_the_reader_starts_the_reading_and_opens_the_room(client, client_user):
    # given
    reader = make_reader(rate=Decimal("2.00"))
    credit(client_user, Decimal("10.00"))
    session = session_request(client=client_user, reader=reader, modality="text")
    client.force_login(reader)
    # when
    response = client.post(reverse("readings:accept", args=[session.pk]))
    # then
    assert response["Location"] == reverse("readings:room", args=[session.pk])
    session.refresh_from_db()
    assert session.state == SessionState.ACTIVE and session.minutes_billed == 1
    assert wallet_balance(client_user) == Decimal("8.00")


def test_accept_by_a_reader_already_in_a_reading_shows_why_and_charges_nothing(client, client_user):
    # given a reader in a reading, and a second client's request that got in before it started
    from apps.accounts.tests.factories import UserFactory

    reader = make_reader(rate=Decimal("2.00"))
    credit(client_user, Decimal("10.00"))
    second = UserFactory()
    credit(second, Decimal("10.00"))
    first_request = session_request(client=client_user, reader=reader, modality="text")
    second_request = session_request(client=second, reader=reader, modality="text")
    client.force_login(reader)
    client.post(reverse("readings:accept", args=[first_request.pk]))
    # when the reader also accepts the second one (another tab)
    response = client.post(reverse("readings:accept", args=[second_request.pk]), follow=True)
    # then the dashboard says why; the second client is told the reader started another reading, unbilled
    assert "You are already in a reading. End it before accepting another request." in response.content.decode()
    second_request.refresh_from_db()
    assert second_request.state == SessionState.ENDED and second_request.end_reason == "reader_busy"
    assert wallet_balance(second) == Decimal("10.00")


def test_decline_by_the_reader_ends_the_request_unbilled(client, client_user):
    # given
    reader = make_reader()
    credit(client_user, Decimal("10.00"))
    session = session_request(client=client_user, reader=reader, modality="text")
    client.force_login(reader)
    # when
    client.post(reverse("readings:decline", args=[session.pk]))
    # then
    session.refresh_from_db()
    assert session.state == SessionState.ENDED and session.end_reason == EndReason.DECLINED
    assert wallet_balance(client_user) == Decimal("10.00")
    client.force_login(client_user)
    room = client.get(reverse("readings:room", args=[session.pk])).content.decode()
    assert "The reader declined" in room and "Nothing was charged" in room


@pytest.mark.parametrize("name", ["accept", "decline"])
def test_accept_or_decline_by_the_client_or_another_reader_is_404(client, client_user, name):
    # given
    reader = make_reader()
    credit(client_user, Decimal("10.00"))
    session = session_request(client=client_user, reader=reader, modality="text")
    # when / then
    for user in (client_user, make_reader()):
        client.force_login(user)
        assert client.post(reverse(f"readings:{name}", args=[session.pk])).status_code == 404
    session.refresh_from_db()
    assert session.state == SessionState.WAITING


# --- Permissions: only the two parties ---------------------------------------------------------------------

PARTY_GET_VIEWS = ["room", "status", "chat", "summary", "receipt", "transcript"]
PARTY_POST_VIEWS = ["heartbeat", "chat", "end", "note", "review", "reply"]


@pytest.mark.parametrize("name", PARTY_GET_VIEWS)
def test_reading_pages_outsiders_get_404_and_parties_get_them(client, client_user, name):
    # given a finalized text reading (ongoing for the live views)
    session, reader = live_reading(client_user)
    SessionMessage.objects.create(session=session, sender=client_user, body="Only for the two of us")
    if name in ("summary", "receipt", "transcript"):
        session_end(actor=client_user, session_id=session.pk)
        session_finalize(session_id=session.pk)
    url = reverse(f"readings:{name}", args=[session.pk])
    # when / then: another client, another reader, an admin get 404
    for outsider in (UserFactory(), ReaderFactory(), make_reader()):
        client.force_login(outsider)
        response = client.get(url)
        assert response.status_code == 404, outsider
        assert b"Only for the two of us" not in response.content
    # anonymous visitors are sent to sign in
    client.logout()
    response = client.get(url)
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
    # and the two parties get it
    for party in (client_user, reader):
        client.force_login(party)
        assert client.get(url).status_code == 200, party


@pytest.mark.parametrize("name", PARTY_POST_VIEWS)
def test_reading_actions_by_outsiders_are_404_and_change_nothing(client, client_user, name):
    # given
    session, _reader = live_reading(client_user)
    before = ReadingSession.objects.values().get(pk=session.pk)
    url = reverse(f"readings:{name}", args=[session.pk])
    data = {"body": "intruding", "rating": "1"}
    # when / then
    for outsider in (UserFactory(), make_reader()):
        client.force_login(outsider)
        assert client.post(url, data).status_code == 404
    client.logout()
    assert client.post(url, data).status_code == 302
    assert ReadingSession.objects.values().get(pk=session.pk) == before
    assert not SessionMessage.objects.exists() and not SessionNote.objects.exists() and not Review.objects.exists()


def test_rtc_token_only_for_the_two_parties_of_a_voice_reading(client, client_user, settings):
    # given Agora configured and a live voice reading
    settings.AGORA_APP_ID = APP_ID
    settings.AGORA_APP_CERTIFICATE = APP_CERTIFICATE
    reader = make_reader()
    ReaderProfile.objects.filter(user=reader).update(voice_rate_amount=Decimal("3.00"))
    session, _ = live_reading(client_user, modality="voice", reader=reader)
    url = reverse("rtc_api:token")
    payload = {"use": "session", "object_id": str(session.pk)}
    # when / then: outsiders get 404
    for outsider in (UserFactory(), make_reader()):
        client.force_login(outsider)
        assert client.post(url, payload, content_type="application/json").status_code == 404
    # and both parties get a token for the reading's channel, and the room page shows the call
    for party in (client_user, reader):
        client.force_login(party)
        response = client.post(url, payload, content_type="application/json")
        assert response.status_code == 200
        assert response.json()["channel"] == session.channel_name
        room = client.get(reverse("readings:room", args=[session.pk])).content.decode()
        assert "data-rtc-room" in room and f'data-object-id="{session.pk}"' in room


# --- The room --------------------------------------------------------------------------------------------------


def test_status_active_reading_shows_minutes_cost_and_funds_to_the_client_only(client, client_user):
    # given
    session, reader = live_reading(client_user, rate=Decimal("2.00"), funds=Decimal("20.00"))
    # when
    client.force_login(client_user)
    mine = client.get(reverse("readings:status", args=[session.pk])).content.decode()
    client.force_login(reader)
    theirs = client.get(reverse("readings:status", args=[session.pk])).content.decode()
    # then
    assert 'data-testid="room-minutes">1<' in mine
    assert 'data-testid="room-cost">$2.00<' in mine
    assert "$18.00 (9 min)" in mine
    assert "room-low-balance" not in mine
    assert "$18.00" not in theirs and "room-funds" not in theirs
    assert 'data-testid="room-cost">$2.00<' in theirs


def test_status_two_minutes_of_funds_left_warns_the_client(client, client_user):
    # given: after minute 1, the wallet holds 2 minutes
    session, _ = live_reading(client_user, rate=Decimal("2.00"), funds=Decimal("6.00"))
    client.force_login(client_user)
    # when
    body = client.get(reverse("readings:status", args=[session.pk])).content.decode()
    # then
    assert 'data-testid="room-low-balance"' in body
    assert "covers 2 more minutes" in body
    assert 'target="_blank" rel="noopener"' in body
    assert 'data-low-balance="1"' in body


def test_status_paused_for_funds_shows_the_top_up_prompt(client, client_user):
    # given a reading whose wallet cannot pay minute 2
    t0 = timezone.now() - timedelta(seconds=70)
    reader = make_reader(rate=Decimal("2.00"))
    credit(client_user, Decimal("2.00"))
    session = session_request(client=client_user, reader=reader, modality="text", now=t0)
    session_accept(reader=reader, session_id=session.pk, now=t0)
    at = t0 + timedelta(seconds=65)
    session_heartbeat(user=client_user, session_id=session.pk, at=at, now=at)
    session_heartbeat(user=reader, session_id=session.pk, at=at, now=at)
    session_bill_tick(now=at)
    session.refresh_from_db()
    assert session.state == SessionState.PAUSED
    client.force_login(client_user)
    # when
    body = client.get(reverse("readings:status", args=[session.pk])).content.decode()
    # then
    assert 'data-testid="room-paused"' in body
    assert f'href="{reverse("wallet:home")}" target="_blank" rel="noopener"' in body
    assert "resumes by itself" in body


def test_heartbeat_by_a_party_records_presence_and_answers_the_state(client, client_user):
    # given
    session, reader = live_reading(client_user)
    client.force_login(reader)
    # when
    response = client.post(reverse("readings:heartbeat", args=[session.pk]))
    # then
    assert response.json() == {"state": "active"}
    session.refresh_from_db()
    assert session.reader_heartbeat_at is not None
    assert client.get(reverse("readings:heartbeat", args=[session.pk])).status_code == 405


def test_chat_message_posted_by_one_party_reaches_the_other(client, client_user):
    # given
    session, reader = live_reading(client_user)
    client.force_login(client_user)
    # when
    response = client.post(
        reverse("readings:chat", args=[session.pk]), {"body": "  Hello <b>there</b> "}, HTTP_HX_REQUEST="true"
    )
    # then
    assert response.status_code == 200 and response["HX-Trigger"] == "chat-refresh"
    message = SessionMessage.objects.get()
    assert message.body == "Hello <b>there</b>" and message.sender == client_user
    client.force_login(reader)
    body = client.get(reverse("readings:chat", args=[session.pk]), {"after": "0"}).content.decode()
    assert "Hello &lt;b&gt;there&lt;/b&gt;" in body
    assert f"?after={message.pk}" in body
    later = client.get(reverse("readings:chat", args=[session.pk]), {"after": str(message.pk)}).content.decode()
    assert "Hello" not in later


def test_chat_empty_message_or_ended_reading_is_refused(client, client_user):
    # given
    session, _ = live_reading(client_user)
    client.force_login(client_user)
    url = reverse("readings:chat", args=[session.pk])
    # when / then
    response = client.post(url, {"body": "   "}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400 and "This field is required" in response.content.decode()
    session_end(actor=client_user, session_id=session.pk)
    response = client.post(url, {"body": "too late"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400 and "The chat is closed" in response.content.decode()
    assert not SessionMessage.objects.exists()


def test_end_by_the_client_goes_to_the_summary(client, client_user):
    # given
    session, _ = live_reading(client_user)
    client.force_login(client_user)
    # when
    response = client.post(reverse("readings:end", args=[session.pk]))
    # then
    assert response["Location"] == reverse("readings:summary", args=[session.pk])
    session.refresh_from_db()
    assert session.state == SessionState.ENDED and session.end_reason == EndReason.CLIENT_ENDED
    # and the room of an ended reading goes to the summary too
    assert client.get(reverse("readings:room", args=[session.pk]))["Location"] == response["Location"]


# --- Summary, receipt, transcript --------------------------------------------------------------------------------


def test_summary_finalized_reading_shows_the_same_numbers_as_the_ledger(client, client_user):
    # given
    session, reader = finished_reading(client_user, rate=Decimal("2.35"))
    # when
    client.force_login(client_user)
    mine = client.get(reverse("readings:summary", args=[session.pk])).content.decode()
    client.force_login(reader)
    theirs = client.get(reverse("readings:summary", args=[session.pk])).content.decode()
    # then: 1 minute at $2.35, reader share floor(2.35 × 0.70) = $1.64
    for body in (mine, theirs):
        assert 'data-testid="summary-minutes">1<' in body
        assert 'data-testid="summary-amount">$2.35<' in body
        assert 'data-testid="summary-reader-share">$1.64<' in body
        assert f"Reading #{session.pk}, minute 1" in body
    assert "Your share of the reading" in theirs and "Your share of the reading" not in mine
    assert "Your private notes" in mine and "Your private notes" not in theirs


def test_receipt_download_lists_each_minute_and_the_split(client, client_user):
    # given
    session, _ = finished_reading(client_user, rate=Decimal("2.00"))
    client.force_login(client_user)
    # when
    response = client.get(reverse("readings:receipt", args=[session.pk]))
    # then
    text = response.content.decode()
    assert response["Content-Disposition"] == f'attachment; filename="soulseer-reading-{session.pk}-receipt.txt"'
    assert f"Reading #{session.pk}, minute 1" in text
    assert "Total charged:   $2.00" in text
    assert "Reader's share:  $1.40" in text
    assert "Platform share:  $0.60" in text


def test_receipt_before_settlement_is_404(client, client_user):
    session, _ = live_reading(client_user)
    client.force_login(client_user)
    assert client.get(reverse("readings:receipt", args=[session.pk])).status_code == 404


def test_transcript_of_a_chat_reading_downloads_for_both_parties(client, client_user):
    # given
    session, reader = live_reading(client_user)
    SessionMessage.objects.create(session=session, sender=client_user, body="What do the cards say?")
    SessionMessage.objects.create(session=session, sender=reader, body="Change is coming.")
    session_end(actor=reader, session_id=session.pk)
    # when / then
    for party in (client_user, reader):
        client.force_login(party)
        text = client.get(reverse("readings:transcript", args=[session.pk])).content.decode()
        assert text.index("What do the cards say?") < text.index("Change is coming.")


# --- Notes and reviews -------------------------------------------------------------------------------------------


def test_note_saved_by_the_client_is_private(client, client_user):
    # given
    session, reader = finished_reading(client_user)
    client.force_login(client_user)
    # when
    client.post(reverse("readings:note", args=[session.pk]), {"body": "Call mum about the house"})
    # then
    assert SessionNote.objects.get().body == "Call mum about the house"
    assert "Call mum about the house" in client.get(reverse("readings:summary", args=[session.pk])).content.decode()
    client.force_login(reader)
    assert client.post(reverse("readings:note", args=[session.pk]), {"body": "x"}).status_code == 404
    assert "Call mum" not in client.get(reverse("readings:summary", args=[session.pk])).content.decode()


def test_review_once_per_finalized_paid_reading_and_aggregates_follow(client, client_user):
    # given two finalized readings with the same reader
    session, reader = finished_reading(client_user)
    second, _ = finished_reading(client_user, reader=reader)
    client.force_login(client_user)
    # when the client reviews both, and tries the first again
    client.post(reverse("readings:review", args=[session.pk]), {"rating": "5", "body": "Wonderful"})
    client.post(reverse("readings:review", args=[second.pk]), {"rating": "2", "body": "Rushed"})
    again = client.post(reverse("readings:review", args=[session.pk]), {"rating": "1"}, follow=True)
    # then
    assert "already reviewed" in again.content.decode()
    assert Review.objects.count() == 2
    profile = profile_of(reader)
    assert (profile.rating_average, profile.rating_count) == (Decimal("3.50"), 2)


def test_review_of_an_unpaid_or_unsettled_reading_is_refused(client, client_user):
    # given a declined request (nothing paid) and a live reading
    reader = make_reader()
    credit(client_user, Decimal("10.00"))
    declined = session_request(client=client_user, reader=reader, modality="text")
    session_end(actor=reader, session_id=declined.pk)
    live, _ = live_reading(client_user, reader=make_reader(), funds=Decimal("1.00"))
    client.force_login(client_user)
    # when / then
    for session in (declined, live):
        response = client.post(reverse("readings:review", args=[session.pk]), {"rating": "5"}, follow=True)
        assert "once it is finished and paid" in response.content.decode()
    assert not Review.objects.exists()


def test_review_by_the_reader_is_404(client, client_user):
    session, reader = finished_reading(client_user)
    client.force_login(reader)
    assert client.post(reverse("readings:review", args=[session.pk]), {"rating": "5"}).status_code == 404
    assert not Review.objects.exists()


def test_reply_by_the_reader_once(client, client_user):
    # given
    session, reader = finished_reading(client_user)
    client.force_login(client_user)
    client.post(reverse("readings:review", args=[session.pk]), {"rating": "4", "body": "Helpful"})
    client.force_login(reader)
    # when
    client.post(reverse("readings:reply", args=[session.pk]), {"body": "Thank you, take care."})
    second = client.post(reverse("readings:reply", args=[session.pk]), {"body": "Edited"}, follow=True)
    # then
    assert "already replied" in second.content.decode()
    review = Review.objects.get()
    assert review.reply_body == "Thank you, take care." and review.replied_at is not None
    client.force_login(client_user)
    body = client.get(reverse("readings:summary", args=[session.pk])).content.decode()
    assert "Thank you, take care." in body
    assert client.post(reverse("readings:reply", args=[session.pk]), {"body": "me too"}).status_code == 404


def test_staff_review_hide_through_moderation_is_audited_and_the_rating_recomputed(
    admin_client, admin_user, client_user
):
    # given two reviews of one reader: 5 and 1 stars
    session, reader = finished_reading(client_user)
    other_client = UserFactory()
    second, _ = finished_reading(other_client, reader=reader)
    client = admin_client
    Review.objects.create(session=session, client=client_user, reader=reader, rating=5)
    abusive = Review.objects.create(session=second, client=other_client, reader=reader, rating=1, body="abuse")
    # when the admin follows the reviews page's link to the moderation page and hides the abusive one, first
    # without a reason, then with one
    listing = client.get(reverse("staff_readings:reviews")).content.decode()
    url = reverse("moderation:content", args=["readings.review", abusive.pk])
    assert url in listing
    refused = client.post(url, {"action": "hide", "reason": ""})
    abusive.refresh_from_db()
    assert refused.status_code == 400 and not abusive.is_hidden
    done = client.post(
        url, {"action": "hide", "reason": "Insults the reader", "next": reverse("staff_readings:reviews")}
    )
    # then
    assert done.status_code == 302 and done["Location"] == reverse("staff_readings:reviews")
    abusive.refresh_from_db()
    assert abusive.is_hidden and abusive.hidden_reason == "Insults the reader" and abusive.hidden_by == admin_user
    log = AuditLog.objects.get(action="moderation.content_hidden")
    assert log.actor_id == admin_user.pk and log.details["reason"] == "Insults the reader"
    assert log.target_type == "livesessions.review" and log.target_id == str(abusive.pk)
    profile = profile_of(reader)
    assert (profile.rating_average, profile.rating_count) == (Decimal("5.00"), 1)
    assert "Insults the reader" in client.get(reverse("staff_readings:reviews")).content.decode()


def test_staff_reviews_non_admins_get_404(client, client_user):
    client.force_login(client_user)
    assert client.get(reverse("staff_readings:reviews")).status_code == 404


# --- History -------------------------------------------------------------------------------------------------------


def test_history_client_sees_costs_reader_sees_earnings_matching_the_ledger(client, client_user):
    # given
    session, reader = finished_reading(client_user, rate=Decimal("3.00"))
    # when
    client.force_login(client_user)
    mine = client.get(reverse("readings:history")).content.decode()
    client.force_login(reader)
    theirs = client.get(reverse("readings:history")).content.decode()
    # then
    assert "$3.00" in mine and f"#{session.pk}" in mine
    assert 'data-testid="earnings-balance">$2.10<' in theirs
    assert f"#{session.pk}" in theirs
    client.force_login(UserFactory())
    assert f"#{session.pk} " not in client.get(reverse("readings:history")).content.decode()


def test_reviews_panel_on_the_profile_shows_visible_reviews_only(client, client_user):
    # given one visible review with a reply and one hidden review of the same reader
    session, reader = finished_reading(client_user)
    second, _ = finished_reading(UserFactory(), reader=reader)
    Review.objects.create(
        session=session,
        client=client_user,
        reader=reader,
        rating=5,
        body="Spot on",
        reply_body="Thanks!",
        replied_at=timezone.now(),
    )
    Review.objects.create(
        session=second,
        client=second.client,
        reader=reader,
        rating=1,
        body="rude words",
        is_hidden=True,
        hidden_reason="Abuse",
    )
    # when anyone looks at the reader's profile
    body = client.get(reverse("readings:reviews_panel", args=[profile_of(reader).pk])).content.decode()
    # then
    assert "Spot on" in body and "Thanks!" in body
    assert "rude words" not in body


def test_reviews_panel_unlisted_reader_is_404(client):
    reader = make_reader()
    ReaderProfile.objects.filter(user=reader).update(is_published=False)
    assert client.get(reverse("readings:reviews_panel", args=[profile_of(reader).pk])).status_code == 404


def test_status_reconnecting_shows_the_grace_countdown(client, client_user):
    # given a reading whose reader went silent for more than 30 s
    t0 = timezone.now() - timedelta(seconds=45)
    reader = make_reader()
    credit(client_user, Decimal("10.00"))
    session = session_request(client=client_user, reader=reader, modality="text", now=t0)
    session_accept(reader=reader, session_id=session.pk, now=t0)
    session_heartbeat(user=client_user, session_id=session.pk)
    session_bill_tick(session_id=session.pk)
    session.refresh_from_db()
    assert session.state == SessionState.RECONNECTING
    client.force_login(client_user)
    # when
    body = client.get(reverse("readings:status", args=[session.pk])).content.decode()
    # then
    assert 'data-testid="room-grace-countdown"' in body
    assert "Nothing is billed meanwhile" in body


def test_start_panel_anonymous_visitor_is_asked_to_sign_in_and_the_reader_sees_no_form(client):
    reader = make_reader()
    url = reverse("readings:start_panel", args=[profile_of(reader).pk])
    assert "Sign in to start a reading" in client.get(url).content.decode()
    client.force_login(reader)
    body = client.get(url).content.decode()
    assert "Request a reading" not in body and "Clients start readings with you here" in body


def test_room_waiting_request_reader_can_answer_there_client_can_withdraw(client, client_user):
    # given
    reader = make_reader()
    credit(client_user, Decimal("10.00"))
    session = session_request(client=client_user, reader=reader, modality="text")
    url = reverse("readings:room", args=[session.pk])
    # when / then: the reader (who may come from the notification) can accept or decline in the room
    client.force_login(reader)
    body = client.get(url).content.decode()
    assert reverse("readings:accept", args=[session.pk]) in body
    assert "Withdraw request" not in body
    # and the client can withdraw, unbilled
    client.force_login(client_user)
    body = client.get(url).content.decode()
    assert reverse("readings:accept", args=[session.pk]) not in body
    response = client.post(reverse("readings:end", args=[session.pk]))
    assert response["Location"] == reverse("readings:history")
    session.refresh_from_db()
    assert session.end_reason == EndReason.CANCELLED and wallet_balance(client_user) == Decimal("10.00")


def test_recent_panel_shows_own_readings_and_the_live_one(client, client_user):
    # given a finished reading and a live one of this client, and another client's reading
    finished, reader = finished_reading(client_user, rate=Decimal("2.50"))
    live, _ = live_reading(client_user, reader=make_reader())
    stranger, _ = finished_reading(UserFactory(), reader=reader)
    client.force_login(client_user)
    # when
    body = client.get(reverse("readings:recent_panel")).content.decode()
    # then
    assert reverse("readings:summary", args=[finished.pk]) in body and "$2.50" in body
    assert "A reading is in progress" in body and reverse("readings:room", args=[live.pk]) in body
    assert reverse("readings:summary", args=[stranger.pk]) not in body


def test_dashboards_reader_has_the_requests_panel_and_client_the_readings_panel(client, client_user):
    # given
    reader = make_reader()
    # when / then
    client.force_login(reader)
    assert reverse("readings:incoming_panel") in client.get(reverse("dashboards:reader")).content.decode()
    client.force_login(client_user)
    assert reverse("readings:recent_panel") in client.get(reverse("dashboards:client")).content.decode()


def test_chat_flood_is_refused_past_the_limit(client, client_user):
    # given
    from apps.readings.services.chat import CHAT_RATE_LIMIT

    session, _ = live_reading(client_user)
    client.force_login(client_user)
    url = reverse("readings:chat", args=[session.pk])
    # when: the posts follow each other at once (the limit is a sliding window: whenever they start, they
    # all fall inside one)
    codes = [
        client.post(url, {"body": f"m{n}"}, HTTP_HX_REQUEST="true").status_code for n in range(CHAT_RATE_LIMIT + 2)
    ]
    # then
    assert codes.count(200) == CHAT_RATE_LIMIT and codes[-1] == 400
    assert SessionMessage.objects.count() == CHAT_RATE_LIMIT


def test_summary_while_settling_refreshes_itself_and_shows_no_forms_yet(client, client_user):
    # given an ended reading the worker has not settled yet
    session, _ = live_reading(client_user)
    session_end(actor=client_user, session_id=session.pk)
    client.force_login(client_user)
    url = reverse("readings:summary", args=[session.pk])
    # when
    body = client.get(url).content.decode()
    # then
    assert "being settled" in body and f'hx-get="{url}" hx-trigger="every 3s"' in body
    assert "Your private notes" not in body and "Publish review" not in body
    # and once settled it stops refreshing and offers the review and notes
    session_finalize(session_id=session.pk)
    body = client.get(url).content.decode()
    assert "every 3s" not in body and "Publish review" in body and "Your private notes" in body
