"""Pages of livestreams: the Live list, a stream's page (video, chat, gifts, events), the host's page, and the
reader's studio (go live, schedule, history). Every stream view reads through ``selectors``: a stream the viewer
may not see answers 404, and its chat, events and gifts need full access (a ticket for a premium stream)."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.core.errors import domain_errors_redirect
from apps.core.exceptions import DomainError
from apps.core.headers import media_capture_allowed
from apps.core.htmx import htmx_error
from apps.core.integrations import stripe_enabled
from apps.core.parsing import id_or_none
from apps.core.permissions import reader_required, verified_email_required
from apps.core.ratelimit import rate_limited
from apps.moderation.selectors import flagged_object_ids
from apps.readers.selectors import reader_public_get
from apps.rtc.selectors import rtc_doorbell_context, rtc_room_context
from apps.wallet.exceptions import InsufficientFunds
from apps.wallet.selectors import wallet_balance
from apps.wallet.selectors_stripe import topup_get_for_session
from apps.wallet.services.topups import topup_limits, topup_refresh, topup_start

from . import selectors
from .access import STREAM_USE, stream_channel_name
from .constants import HEARTBEAT_SECONDS, STREAMS_PAGE_SIZE
from .enums import StreamState, Visibility
from .forms import ChatForm, StreamForm
from .models import Stream, StreamMessage
from .moderation import TYPE_KEY as CHAT_MESSAGE_TYPE_KEY
from .services.chat import chat_post
from .services.payments import gift_send, ticket_buy
from .services.streams import (
    stream_create,
    stream_end,
    stream_go_live,
    stream_host_heartbeat,
    stream_invite,
    stream_invite_revoke,
    stream_start,
    viewer_heartbeat,
)
from .services.streams import (
    viewer_remove as viewer_remove_service,
)

REFRESH_EVENT = "live-refresh"
VIDEO_UNAVAILABLE = (
    "Video needs Agora to be configured on this server. This stream offers chat and gifts only; "
    "the host's video cannot be shown."
)
HISTORY_ROWS = 10


def _tz(request: HttpRequest) -> str:
    return getattr(request.user, "timezone", "") or "UTC"


def _rtc(request: HttpRequest, stream: Stream) -> dict[str, Any] | None:
    if stream.state != StreamState.LIVE:
        return None
    room = rtc_room_context(request=request, use=STREAM_USE, object_id=stream.pk, modality="video", title="Live video")
    room["unavailable_message"] = VIDEO_UNAVAILABLE
    room["watch_only"] = stream.host_id != request.user.pk  # viewers' tokens carry no publishing privilege
    return room


def _doorbell(request: HttpRequest, stream: Stream) -> dict[str, Any] | None:
    if stream.state != StreamState.LIVE:
        return None
    return rtc_doorbell_context(
        request=request,
        use=STREAM_USE,
        object_id=stream.pk,
        channel_name=stream_channel_name(stream.pk),
        refresh_event=REFRESH_EVENT,
    )


def _gift_options() -> list[dict[str, Any]]:
    """The catalog with a fresh idempotency key per gift button: one click, one gift, whatever the retries."""
    return [{"kind": kind, "key": uuid.uuid4().hex} for kind in selectors.gift_kind_list_active()]


# --- the Live page -----------------------------------------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Live streams first, then upcoming ones, with the reader, how many watch and who may watch."""
    page = Paginator(selectors.stream_list(viewer=request.user), STREAMS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "live/home.html", {"page": page, "tz": _tz(request)})


@require_GET
def profile_panel(request: HttpRequest, reader_id: int) -> HttpResponse:
    """On a reader's profile: their stream live now, or coming up, that the visitor may see (empty otherwise)."""
    reader = reader_public_get(viewer=request.user, reader_id=reader_id)
    streams = list(selectors.stream_list(viewer=request.user).filter(host_id=reader.user_id)[:3])
    return render(request, "live/partials/_profile_panel.html", {"streams": streams, "tz": _tz(request)})


# --- a stream's page ---------------------------------------------------------------------------------------


@login_required
@require_GET
def stream(request: HttpRequest, pk: int) -> HttpResponse:
    stream, access = selectors.stream_get_visible(viewer=request.user, stream_id=pk)
    member = access.is_member and not access.is_removed
    context = {
        "stream": stream,
        "access": access,
        "member": member,
        "tz": _tz(request),
        "rtc_room": _rtc(request, stream) if member else None,
        "doorbell": _doorbell(request, stream) if member else None,
        "gifts": _gift_options() if member and not access.is_host else [],
        "chat_form": ChatForm(),
        "wallet_balance": wallet_balance(user=request.user),
        "heartbeat_seconds": HEARTBEAT_SECONDS,
        "refresh_event": REFRESH_EVENT,
    }
    return render(request, "live/stream.html", context)


@login_required
@require_POST
@rate_limited("live.ticket", what="ticket purchases")
@domain_errors_redirect("live:stream", "pk")
def ticket(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        bought = ticket_buy(actor=request.user, stream_id=pk)
    except InsufficientFunds as error:
        messages.error(request, f"{error.message} Top up your wallet, then buy the ticket.")
        return redirect("live:stream", pk=pk)
    messages.success(request, f"Your ticket is booked (${bought.price_amount}). Enjoy the stream.")
    return redirect("live:stream", pk=pk)


@login_required
@require_GET
def events(request: HttpRequest, pk: int) -> HttpResponse:
    """The events after ``after``, appended to the page's list; the poller is replaced to ask for what follows."""
    stream = selectors.stream_get_member(viewer=request.user, stream_id=pk)
    after = request.GET.get("after", "0")
    after_id = id_or_none(after) or 0
    items = selectors.event_list(stream=stream, after_id=after_id)
    last_id = items[-1].pk if items else after_id
    return render(
        request,
        "live/partials/_events.html",
        {"items": items, "last_id": last_id, "stream": stream, "animate": after_id > 0, "tz": _tz(request)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def chat(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the chat's latest lines (the whole window, so hidden lines vanish; a reported line carries the
    moderation warning until a moderator decides). POST: send one."""
    stream = selectors.stream_get_member(viewer=request.user, stream_id=pk)
    if request.method == "GET":
        items = selectors.message_list(stream=stream)
        context = {"items": items, "flagged_ids": _chat_flagged_ids(items), "stream": stream, "tz": _tz(request)}
        return render(request, "live/partials/_chat.html", context)
    form = ChatForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            chat_post(actor=request.user, stream=stream, body=form.cleaned_data["body"])
        except DomainError as exc:
            error = exc.message
    else:
        error = " ".join(form.errors.get("body", ["The message could not be sent."]))
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("live:stream", pk=pk)
    if error:
        return htmx_error(
            request, message=error, status=400, target="#chat-error", template="live/partials/_error.html"
        )
    response = render(request, "live/partials/_error.html", {"error": ""})
    response["HX-Trigger"] = REFRESH_EVENT
    return response


def _chat_flagged_ids(items: list[StreamMessage]) -> set[int]:
    """The chat lines of a poll with a pending flag, which show the moderation warning: one query for the whole
    window, none for an empty chat."""
    return flagged_object_ids(type_key=CHAT_MESSAGE_TYPE_KEY, object_ids=[item.pk for item in items])


@login_required
@require_POST
@rate_limited("live.gift", what="gifts")
def gift(request: HttpRequest, pk: int) -> HttpResponse:
    """Send one gift; the answer is the gift buttons again, with fresh keys and what happened."""
    selectors.stream_get_member(viewer=request.user, stream_id=pk)
    kind_id = request.POST.get("gift_kind", "")
    try:
        sent = gift_send(
            actor=request.user,
            stream_id=pk,
            gift_kind_id=id_or_none(kind_id) or 0,
            client_key=request.POST.get("key"),
        )
    except DomainError as error:
        insufficient = isinstance(error, InsufficientFunds)
        if not request.htmx:
            messages.error(request, error.message)
            return redirect("live:stream", pk=pk)
        context = {"error": error.message, "insufficient": insufficient, "topup_url": _topup_url(pk), "stream_pk": pk}
        if insufficient and stripe_enabled():
            context["top_up_and_send"] = _top_up_and_send_offer(kind_id, request.POST.get("key", ""))
        response = render(request, "live/partials/_gift_result.html", context, status=error.status_code)
        response["HX-Retarget"] = "#gift-result"
        response["HX-Reswap"] = "innerHTML"
        return response
    message = f"You sent {sent.name} (${sent.price_amount})."
    if not request.htmx:
        messages.success(request, message)
        return redirect("live:stream", pk=pk)
    stream = selectors.stream_get_member(viewer=request.user, stream_id=pk)
    response = render(
        request,
        "live/partials/_gifts.html",
        {
            "gifts": _gift_options(),
            "stream": stream,
            "sent_message": message,
            "wallet_balance": wallet_balance(user=request.user),
        },
    )
    response["HX-Trigger"] = REFRESH_EVENT
    return response


def _topup_url(pk: int) -> str:
    return reverse("wallet:topup")


def _top_up_and_send_offer(kind_id: str, key: str) -> dict[str, Any] | None:
    """What the "top up and send" form offers: this gift, its key, and a card payment of at least its price."""
    kind = selectors.gift_kind_list_active().filter(pk=id_or_none(kind_id) or 0).first()
    if kind is None:
        return None
    low, high = topup_limits()
    return {"kind": kind, "key": key, "amount": min(max(kind.price_amount, low), high), "min": low, "max": high}


@verified_email_required
@require_POST
@rate_limited("wallet.topup", what="top-ups")
@domain_errors_redirect("live:stream", "pk")
def gift_topup(request: HttpRequest, pk: int) -> HttpResponse:
    """Top up and send: pay by card through Stripe Checkout; back here, the wallet is credited first and the
    page offers to send the gift (with the same key, so it is sent once)."""
    selectors.stream_get_member(viewer=request.user, stream_id=pk)
    kind = selectors.gift_kind_list_active().filter(pk=id_or_none(request.POST.get("gift_kind")) or 0).first()
    if kind is None or not request.POST.get("key"):
        messages.error(request, "Choose a gift again.")
        return redirect("live:stream", pk=pk)
    back = reverse("live:gift_topup_return", args=[pk])
    query = urlencode({"gift_kind": kind.pk, "key": request.POST["key"]})
    started = topup_start(
        user=request.user,
        amount=request.POST.get("amount", ""),
        success_url=request.build_absolute_uri(back) + f"?{query}&session_id={{CHECKOUT_SESSION_ID}}",
        cancel_url=request.build_absolute_uri(reverse("live:stream", args=[pk])),
    )
    return redirect(started.checkout_url)


@verified_email_required
@require_GET
def gift_topup_return(request: HttpRequest, pk: int) -> HttpResponse:
    """Back from Checkout: ask Stripe for the payment (crediting the wallet if paid), then offer to send the gift."""
    stream = selectors.stream_get_member(viewer=request.user, stream_id=pk)
    session_id = request.GET.get("session_id", "")
    if not session_id:
        return redirect("live:stream", pk=pk)
    topup = topup_refresh(topup=topup_get_for_session(viewer=request.user, session_id=session_id))
    kind_id = request.GET.get("gift_kind", "")
    kind = selectors.gift_kind_list_active().filter(pk=id_or_none(kind_id) or 0).first()
    context = {
        "stream": stream,
        "topup": topup,
        "kind": kind,
        "key": request.GET.get("key", ""),
        "balance": wallet_balance(user=request.user),
    }
    return render(request, "live/gift_topup_return.html", context)


@login_required
@require_POST
def heartbeat(request: HttpRequest, pk: int) -> JsonResponse:
    """The stream page says "still here" every few seconds: it keeps the viewer count (and the host's presence)."""
    stream = selectors.stream_get_member(viewer=request.user, stream_id=pk)
    if stream.host_id == request.user.pk:
        live = stream_host_heartbeat(actor=request.user, stream_id=pk)
    else:
        viewer_heartbeat(actor=request.user, stream=stream)
        live = stream.state == StreamState.LIVE
    return JsonResponse({"live": live, "viewers": selectors.viewer_count(stream=stream)})


@login_required
@require_GET
def status(request: HttpRequest, pk: int) -> HttpResponse:
    """Viewer count, top gifters and the stream's state (polled)."""
    stream = selectors.stream_get_member(viewer=request.user, stream_id=pk)
    return render(
        request,
        "live/partials/_status.html",
        {
            "stream": stream,
            "viewer_count": selectors.viewer_count(stream=stream),
            "top_gifters": selectors.top_gifter_list(stream=stream),
        },
    )


# --- the host's page ---------------------------------------------------------------------------------------


def _host_context(request: HttpRequest, stream: Stream) -> dict[str, Any]:
    return {
        "stream": stream,
        "viewers": selectors.viewer_list(stream=stream),
        "removed": selectors.removed_viewer_list(stream=stream),
        "viewer_count": selectors.viewer_count(stream=stream),
        "earnings": selectors.stream_earnings(stream=stream),
        "top_gifters": selectors.top_gifter_list(stream=stream),
        "tz": _tz(request),
    }


@media_capture_allowed
@reader_required
@require_GET
def host(request: HttpRequest, pk: int) -> HttpResponse:
    stream = selectors.stream_get_hosted(viewer=request.user, stream_id=pk)
    context = _host_context(request, stream)
    invited = selectors.invite_list(stream=stream) if stream.visibility == Visibility.PRIVATE else []
    invited_ids = {invite.user_id for invite in invited if invite.revoked_at is None}
    context.update(
        {
            "rtc_room": _rtc(request, stream),
            "doorbell": _doorbell(request, stream),
            "invites": invited,
            "invite_candidates": [
                user
                for user in selectors.invitable_user_list(host_user_id=request.user.pk)[:200]
                if user.pk not in invited_ids
            ]
            if stream.visibility == Visibility.PRIVATE and stream.state != StreamState.ENDED
            else [],
            "chat_form": ChatForm(),
            "heartbeat_seconds": HEARTBEAT_SECONDS,
            "refresh_event": REFRESH_EVENT,
        }
    )
    return render(request, "live/host.html", context)


@reader_required
@require_GET
def host_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """Viewers (with "remove"), earnings and top gifters of the host's stream (polled)."""
    stream = selectors.stream_get_hosted(viewer=request.user, stream_id=pk)
    return render(request, "live/partials/_host_panel.html", _host_context(request, stream))


@reader_required
@require_POST
@domain_errors_redirect("live:host", "pk")
def start(request: HttpRequest, pk: int) -> HttpResponse:
    stream_start(actor=request.user, stream_id=pk)
    messages.success(request, "You are live. Your followers are being told.")
    return redirect("live:host", pk=pk)


@reader_required
@require_POST
@domain_errors_redirect("live:host", "pk")
def end(request: HttpRequest, pk: int) -> HttpResponse:
    stream_end(actor=request.user, stream_id=pk)
    messages.success(request, "Your stream has ended. Its summary is below.")
    return redirect("live:host", pk=pk)


@reader_required
@require_POST
@rate_limited("live.invite", what="stream invitations")
@domain_errors_redirect("live:host", "pk")
def invite(request: HttpRequest, pk: int) -> HttpResponse:
    user_id = request.POST.get("user", "")
    stream_invite(actor=request.user, stream_id=pk, user_id=id_or_none(user_id) or 0)
    messages.success(request, "Invitation sent: they can open the stream from the Live page.")
    return redirect("live:host", pk=pk)


@reader_required
@require_POST
@domain_errors_redirect("live:host", "pk")
def invite_revoke(request: HttpRequest, pk: int, invite_pk: int) -> HttpResponse:
    stream_invite_revoke(actor=request.user, stream_id=pk, invite_id=invite_pk)
    messages.success(request, "Invitation withdrawn: they no longer have access to this stream.")
    return redirect("live:host", pk=pk)


@reader_required
@require_POST
@domain_errors_redirect("live:host", "pk")
def viewer_remove(request: HttpRequest, pk: int, user_pk: int) -> HttpResponse:
    viewer_remove_service(actor=request.user, stream_id=pk, user_id=user_pk)
    messages.success(request, "Viewer removed from this stream.")
    return redirect("live:host", pk=pk)


# --- the reader's studio ----------------------------------------------------------------------------------


def _studio_context(request: HttpRequest, form: StreamForm | None = None) -> dict[str, Any]:
    return {
        "form": form or StreamForm(tz_name=_tz(request)),
        "live_stream": selectors.stream_live_for_host(host=request.user),
        "history": selectors.stream_history_list(viewer=request.user)[:HISTORY_ROWS],
        "tz": _tz(request),
    }


@reader_required
@require_http_methods(["GET", "POST"])
@rate_limited("live.stream", what="new streams")
def studio(request: HttpRequest) -> HttpResponse:
    """Go live now or schedule a stream; the history of the reader's streams with their earnings."""
    if request.method == "GET":
        return render(request, "live/studio.html", _studio_context(request))
    form = StreamForm(request.POST, tz_name=_tz(request))
    if form.is_valid():
        values = {
            "actor": request.user,
            "title": form.cleaned_data["title"],
            "description": form.cleaned_data["description"],
            "visibility": form.cleaned_data["visibility"],
            "ticket_price_amount": form.ticket_price_value(),
        }
        try:
            if request.POST.get("action") == "schedule":
                created = stream_create(**values, scheduled_start_at=form.cleaned_data["scheduled_start"])
                messages.success(request, "Your stream is scheduled: it shows under Upcoming on the Live page.")
            else:
                created = stream_go_live(**values)
                messages.success(request, "You are live. Your followers are being told.")
            return redirect("live:host", pk=created.pk)
        except DomainError as error:
            form.add_error(None, error.message)
    return render(request, "live/studio.html", _studio_context(request, form), status=400)


@reader_required
@require_GET
def studio_panel(request: HttpRequest) -> HttpResponse:
    """The reader dashboard's section: go live, the stream in progress, the latest streams."""
    return render(request, "live/partials/_studio_panel.html", _studio_context(request))
