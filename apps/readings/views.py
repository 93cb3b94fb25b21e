"""Pages of live readings: starting one from a reader's profile, the reader's incoming requests, the room
(status, chat, heartbeat), the summary with receipt and transcript, notes, reviews, and the history pages.

Every reading view goes through ``selectors.session_get_for_participant``: anyone but the two parties gets 404.
"""

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.core.errors import domain_errors_redirect
from apps.core.exceptions import DomainError
from apps.core.headers import media_capture_allowed
from apps.core.htmx import htmx_error
from apps.core.parsing import id_or_none
from apps.core.permissions import reader_required, staff_required
from apps.core.ratelimit import rate_limited
from apps.moderation.selectors import flagged_object_ids
from apps.readers.models import ReaderProfile
from apps.readers.selectors import available_modalities, rate_field, reader_public_get
from apps.readers.services import reader_presence_heartbeat
from apps.readings import selectors
from apps.readings.access import READING_CHAT_REFRESH_EVENT, READING_CHAT_USE, reading_chat_channel_name
from apps.readings.constants import HEARTBEAT_INTERVAL_SECONDS
from apps.readings.enums import LIVE_STATES, Modality, SessionState
from apps.readings.exceptions import SessionNotFound
from apps.readings.forms import MessageForm, NoteForm, ReplyForm, ReviewForm, SessionRequestForm
from apps.readings.models import SessionMessage
from apps.readings.moderation import CHAT_MESSAGE_TYPE_KEY, REVIEW_TYPE_KEY
from apps.readings.services import session_accept, session_decline, session_end, session_heartbeat, session_request
from apps.readings.services.chat import CHAT_OPEN_STATES, chat_closed_message, session_message_post
from apps.readings.services.reviews import review_allowed, review_create, review_reply, session_note_save
from apps.rtc.selectors import rtc_doorbell_context, rtc_room_context
from apps.wallet.enums import TransactionKind
from apps.wallet.selectors import balance_of
from apps.wallet.services.ledger import earnings_account

S = SessionState
HISTORY_PAGE_SIZE = 20


# --- Starting a reading -------------------------------------------------------------------------------


def _offers(reader: ReaderProfile) -> list[tuple[str, Any]]:
    """The reading types this reader offers and this server supports, with their rates."""
    offered = []
    for modality in available_modalities():
        rate = getattr(reader, rate_field(modality))
        if rate is not None:
            offered.append((modality, rate))
    return offered


def _start_context(request: HttpRequest, reader_id: int, form: SessionRequestForm | None = None) -> dict[str, Any]:
    reader = reader_public_get(viewer=request.user, reader_id=reader_id)
    offers = _offers(reader)
    can_start = (
        reader.is_published
        and not reader.is_suspended
        and reader.current_presence == "online"
        and bool(offers)
        and reader.user_id != getattr(request.user, "pk", None)
    )
    live = selectors.session_live_for_user(user=request.user) if request.user.is_authenticated else None
    return {
        "reader": reader,
        "can_start": can_start,
        "live_session": live,
        "form": form or SessionRequestForm(offers=offers),
    }


@require_GET
def start_panel(request: HttpRequest, reader_id: int) -> HttpResponse:
    """The "Start a reading" block of a reader's profile (refreshed as their presence changes)."""
    return render(request, "readings/partials/_start.html", _start_context(request, reader_id))


@login_required
@require_POST
@rate_limited("readings.request", what="reading requests")
def start(request: HttpRequest, reader_id: int) -> HttpResponse:
    context = _start_context(request, reader_id)
    reader = context["reader"]
    form = SessionRequestForm(request.POST, offers=_offers(reader))
    if not form.is_valid():
        context["form"] = form
        return render(request, "readings/start.html", context, status=400)
    try:
        session = session_request(
            client=request.user,
            reader=reader.user,
            modality=form.cleaned_data["modality"],
            intake_note=form.cleaned_data["intake_note"],
            spending_cap=form.cleaned_data["spending_cap"],
        )
    except DomainError as error:
        context["form"] = form
        context["error"] = error.message
        return render(request, "readings/start.html", context, status=400)
    return redirect("readings:room", pk=session.pk)


@require_GET
def reviews_panel(request: HttpRequest, reader_id: int) -> HttpResponse:
    """Visible reviews of a listed reader (and the reader's replies), for their public profile."""
    reader = reader_public_get(viewer=request.user, reader_id=reader_id)
    reviews = list(selectors.review_public_list(reader_user_id=reader.user_id))
    flagged = flagged_object_ids(type_key=REVIEW_TYPE_KEY, object_ids=[review.pk for review in reviews])
    context = {"reader": reader, "reviews": reviews, "flagged": flagged}
    return render(request, "readings/partials/_reviews.html", context)


# --- The reader's incoming requests ---------------------------------------------------------------------


@reader_required
@require_GET
def incoming_panel(request: HttpRequest) -> HttpResponse:
    """Reader dashboard: requests waiting for an answer (polled every few seconds; a chime marks a new one)."""
    requests = list(selectors.session_requests_for_reader(reader=request.user))
    live = selectors.session_live_for_user(user=request.user)
    if live is not None and live.state == S.WAITING:
        live = None  # a waiting request is listed above, not a reading in progress
    signature = "-".join([str(item.pk) for item in requests] + ([f"{live.pk}{live.state}"] if live else []))
    if "known" in request.GET and request.GET["known"] == signature:
        # Nothing changed: no swap, so the dashboard's live region stays quiet.
        return HttpResponse(status=204)
    context = {"requests": requests, "live_session": live, "signature": signature}
    return render(request, "readings/partials/_incoming.html", context)


@login_required
@require_POST
@domain_errors_redirect("dashboards:home")
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    session = session_accept(reader=request.user, session_id=pk)
    if session.state == S.ENDED:
        messages.error(request, "The client's wallet can no longer pay the first minute; the request has ended.")
        return redirect("dashboards:home")
    return redirect("readings:room", pk=session.pk)


@login_required
@require_POST
@domain_errors_redirect("dashboards:home")
def decline(request: HttpRequest, pk: int) -> HttpResponse:
    session_decline(reader=request.user, session_id=pk)
    messages.success(request, "You declined the request.")
    return redirect("dashboards:home")


# --- The room ---------------------------------------------------------------------------------------------


@media_capture_allowed
@login_required
@require_GET
def room(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.session_get_for_participant(viewer=request.user, session_id=pk)
    if session.state == S.FINALIZED or (session.state == S.ENDED and session.accepted_at is not None):
        return redirect("readings:summary", pk=pk)
    state = selectors.session_room_state(viewer=request.user, session_id=pk)
    rtc_room = None
    if session.modality in (Modality.VOICE, Modality.VIDEO) and session.state in LIVE_STATES - {S.WAITING}:
        rtc_room = rtc_room_context(
            request=request, use="session", object_id=session.pk, modality=session.modality, title="Voice and video"
        )
    doorbell = None
    if session.is_live and session.state != S.WAITING:  # the chat is on the page
        doorbell = rtc_doorbell_context(
            request=request,
            use=READING_CHAT_USE,
            object_id=session.pk,
            channel_name=reading_chat_channel_name(session.pk),
            refresh_event=READING_CHAT_REFRESH_EVENT,
        )
    context = {
        "session": session,
        "room": state,
        "rtc_room": rtc_room,
        "doorbell": doorbell,
        # The form stays on the page while the reading is live; room.js disables it outside ``active`` (the
        # page does not reload on a pause) and the service refuses what is posted then anyway.
        "chat_open": session.state in CHAT_OPEN_STATES,
        "chat_closed": {str(state): chat_closed_message(str(state)) for state in (S.PAUSED, S.RECONNECTING)},
        "message_form": MessageForm(),
        "heartbeat_seconds": HEARTBEAT_INTERVAL_SECONDS,
    }
    return render(request, "readings/room.html", context)


@login_required
@require_GET
def status(request: HttpRequest, pk: int) -> HttpResponse:
    """The live status block of the room (state, minutes, cost, funds, warnings), polled every 2 s."""
    session = selectors.session_get_for_participant(viewer=request.user, session_id=pk)
    state = selectors.session_room_state(viewer=request.user, session_id=pk)
    return render(request, "readings/partials/_status.html", {"session": session, "room": state})


@login_required
@require_POST
def heartbeat(request: HttpRequest, pk: int) -> JsonResponse:
    """The room says "still here" every 10 s; a reader in a reading also stays online for the directory."""
    state = session_heartbeat(user=request.user, session_id=pk)
    if getattr(request.user, "is_reader", False) and state in LIVE_STATES:
        reader_presence_heartbeat(actor=request.user)
    return JsonResponse({"state": state})


@login_required
@require_POST
@domain_errors_redirect("readings:room", "pk")
def end(request: HttpRequest, pk: int) -> HttpResponse:
    session = session_end(actor=request.user, session_id=pk)
    if session.accepted_at is None:
        messages.info(request, "The request was withdrawn. Nothing was charged.")
        return redirect("readings:history")
    return redirect("readings:summary", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def chat(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: messages newer than ``after`` (the poller appends them). POST: send one."""
    if request.method == "POST":
        selectors.session_get_for_participant(viewer=request.user, session_id=pk)  # 404 for all but the parties
        form = MessageForm(request.POST)
        error = ""
        if form.is_valid():
            try:
                session_message_post(sender=request.user, session_id=pk, body=form.cleaned_data["body"])
            except DomainError as exc:
                error = exc.message
        else:
            error = " ".join(form.errors.get("body", ["The message could not be sent."]))
        if not request.htmx:
            if error:
                messages.error(request, error)
            return redirect("readings:room", pk=pk)
        if error:
            # Beside the chat form, not in the page's error region: the line was refused, the reading goes on.
            return htmx_error(
                request, message=error, status=400, target="#chat-error", template="readings/partials/_chat_error.html"
            )
        response = render(request, "readings/partials/_chat_error.html", {"error": ""})
        response["HX-Trigger"] = "chat-refresh"
        return response
    after = request.GET.get("after", "0")
    after_id = id_or_none(after) or 0
    items = list(selectors.session_message_list(viewer=request.user, session_id=pk, after_id=after_id))
    last_id = items[-1].pk if items else after_id
    context = {"items": items, "flagged_ids": _chat_flagged_ids(items), "last_id": last_id, "pk": pk}
    return render(request, "readings/partials/_chat_messages.html", context)


def _chat_flagged_ids(items: list[SessionMessage]) -> set[int]:
    """The chat lines of a batch with a pending flag, which show the moderation warning: one query for them all,
    none for an empty batch."""
    return flagged_object_ids(type_key=CHAT_MESSAGE_TYPE_KEY, object_ids=[item.pk for item in items])


# --- After the reading -----------------------------------------------------------------------------------


@login_required
@require_GET
def summary(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.session_get_for_participant(viewer=request.user, session_id=pk)
    if session.state in LIVE_STATES:
        return redirect("readings:room", pk=pk)
    is_client = request.user.pk == session.client_id
    review = selectors.session_review_get(session=session, viewer=request.user)
    note = selectors.session_note_get(viewer=request.user, session=session) if is_client else None
    context = {
        "session": session,
        "is_client": is_client,
        "lines": _receipt_lines(session, selectors.session_charges_list(viewer=request.user, session_id=pk), is_client),
        "review": review,
        "can_review": is_client and review is None and review_allowed(session),
        "review_form": ReviewForm(),
        "reply_form": ReplyForm(),
        "note_form": NoteForm(initial={"body": note.body if note else ""}) if is_client else None,
        "has_transcript": session.modality == Modality.TEXT and session.accepted_at is not None,
    }
    if context["has_transcript"]:
        transcript = list(selectors.session_transcript_get(viewer=request.user, session_id=pk)[1])
        context["transcript"] = transcript
        context["flagged_ids"] = _chat_flagged_ids(transcript)
    return render(request, "readings/summary.html", context)


def _receipt_lines(session: Any, charges: Any, is_client: bool) -> list[dict[str, Any]]:
    """One line per ledger transaction of the reading, as its viewer sees it: each minute charged from the
    client's wallet and, for the reader, their share of the settlement. A prepaid reading was paid before it
    started, by the app that booked it: one line, its price (or the reader's share)."""
    if session.is_prepaid:
        if session.state != S.FINALIZED:
            return []
        if is_client:
            label, amount = "Booked reading, flat price", session.summary.get("amount", "0.00")
        else:
            label, amount = "Your share of the reading", session.reader_share_amount
        return [{"label": label, "at": session.finalized_at, "amount": Decimal(amount or 0)}]
    lines = []
    for txn in charges:
        for posting in txn.postings.all():
            code = posting.account.code
            if txn.kind == TransactionKind.SESSION_CHARGE and code.startswith("hold:"):
                lines.append(
                    {"label": txn.memo or txn.get_kind_display(), "at": txn.created_at, "amount": posting.amount}
                )
            elif not is_client and code == f"earnings:{session.reader_id}":
                lines.append({"label": "Your share of the reading", "at": txn.created_at, "amount": posting.amount})
    return lines


def _download(content: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def receipt(request: HttpRequest, pk: int) -> HttpResponse:
    """The itemised receipt: one line per minute charged from the client's wallet, the total, the split."""
    session = selectors.session_get_for_participant(viewer=request.user, session_id=pk)
    if session.state != S.FINALIZED:
        raise SessionNotFound("The receipt is ready once the reading is settled.")
    charges = selectors.session_charges_list(viewer=request.user, session_id=pk)
    is_client = request.user.pk == session.client_id
    lines = _receipt_lines(session, charges, is_client)
    text = render_to_string("readings/receipt.txt", {"session": session, "lines": lines, "is_client": is_client})
    return _download(text, f"soulseer-reading-{session.pk}-receipt.txt")


@login_required
@require_GET
def transcript(request: HttpRequest, pk: int) -> HttpResponse:
    session, items = selectors.session_transcript_get(viewer=request.user, session_id=pk)
    if session.state in LIVE_STATES:
        raise SessionNotFound("The transcript is ready once the reading has ended.")
    text = render_to_string("readings/transcript.txt", {"session": session, "items": items})
    return _download(text, f"soulseer-reading-{session.pk}-transcript.txt")


@login_required
@require_POST
@rate_limited("readings.note", what="note saves")
@domain_errors_redirect("readings:summary", "pk")
def note(request: HttpRequest, pk: int) -> HttpResponse:
    form = NoteForm(request.POST)
    if form.is_valid():
        session_note_save(author=request.user, session_id=pk, body=form.cleaned_data["body"])
        messages.success(request, "Your notes are saved.")
    else:
        selectors.session_get_for_participant(viewer=request.user, session_id=pk)
        messages.error(request, "Your notes could not be saved: " + " ".join(form.errors.get("body", [])))
    return redirect("readings:summary", pk=pk)


@login_required
@require_POST
@rate_limited("readings.review", what="reviews")
@domain_errors_redirect("readings:summary", "pk")
def review(request: HttpRequest, pk: int) -> HttpResponse:
    form = ReviewForm(request.POST)
    if not form.is_valid():
        selectors.session_get_for_participant(viewer=request.user, session_id=pk)
        messages.error(request, "Choose a rating from 1 to 5 stars.")
        return redirect("readings:summary", pk=pk)
    review_create(
        client=request.user, session_id=pk, rating=form.cleaned_data["rating"], body=form.cleaned_data["body"]
    )
    messages.success(request, "Thank you: your review is published.")
    return redirect("readings:summary", pk=pk)


@login_required
@require_POST
@rate_limited("readings.review_reply", what="replies to reviews")
@domain_errors_redirect("readings:summary", "pk")
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.session_get_for_participant(viewer=request.user, session_id=pk)
    found = selectors.session_review_get(session=session, viewer=request.user)
    if found is None or request.user.pk != session.reader_id:
        raise SessionNotFound()
    form = ReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write your reply first.")
        return redirect("readings:summary", pk=pk)
    review_reply(reader=request.user, review_id=found.pk, body=form.cleaned_data["body"])
    messages.success(request, "Your reply is published.")
    return redirect("readings:summary", pk=pk)


# --- History and dashboard panels -----------------------------------------------------------------------


def _history_context(request: HttpRequest) -> dict[str, Any]:
    is_reader = bool(getattr(request.user, "is_reader", False))
    sessions = selectors.session_list_for_participant(viewer=request.user)
    sessions = sessions.filter(reader=request.user) if is_reader else sessions.filter(client=request.user)
    sessions = sessions.select_related("reader__reader_profile").order_by("-created_at", "-id")
    context: dict[str, Any] = {"is_reader": is_reader, "sessions": sessions}
    if is_reader:
        context["earnings_balance"] = balance_of(earnings_account(request.user))
    return context


@login_required
@require_GET
def history(request: HttpRequest) -> HttpResponse:
    """A client's readings (what each cost), or a reader's (what each earned, and the earnings balance)."""
    context = _history_context(request)
    context["page"] = Paginator(context["sessions"], HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "readings/history.html", context)


@login_required
@require_GET
def recent_panel(request: HttpRequest) -> HttpResponse:
    """Dashboard: the live reading if any, and the latest few."""
    context = _history_context(request)
    context["recent"] = context["sessions"][:5]
    context["live_session"] = selectors.session_live_for_user(user=request.user)
    return render(request, "readings/partials/_recent.html", context)


# --- Admin --------------------------------------------------------------------------------------------------


@staff_required
@require_GET
def staff_reviews(request: HttpRequest) -> HttpResponse:
    wanted = request.GET.get("hidden")
    hidden = {"1": True, "0": False}.get(wanted or "")
    reviews = selectors.review_staff_list(viewer=request.user, hidden=hidden)
    page = Paginator(reviews, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "readings/staff/reviews.html", {"page": page, "hidden": wanted})
