"""Pages and HTMX partials of the inbox. Every read goes through selectors scoped to the signed-in user."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.core.exceptions import DomainError
from apps.core.parsing import id_or_none
from apps.core.permissions import verified_email_required
from apps.core.ratelimit import rate_limited
from apps.moderation.selectors import flagged_object_ids
from apps.rtc.selectors import rtc_doorbell_context
from apps.wallet.exceptions import InsufficientFunds
from apps.wallet.selectors import wallet_balance

from . import selectors, services
from .constants import (
    BADGE_POLL_SECONDS,
    CONVERSATIONS_PER_PAGE,
    POLL_SECONDS,
    SEARCH_RESULTS_PER_PAGE,
)
from .exceptions import MessageNotFound
from .forms import MessageForm, ReaderFinderForm, ReplyForm, SearchForm
from .moderation import TYPE_KEY as MESSAGE_TYPE_KEY
from .rtc import CONVERSATION_USE, REFRESH_EVENT, conversation_channel_name

# Set after a successful send; the next render of that conversation rings its doorbell once.
_RING_SESSION_KEY = "messaging_doorbell_ring"


def _int_param(request: HttpRequest, name: str) -> int | None:
    return id_or_none(request.GET.get(name))


def _flagged_ids(items: list[selectors.MessageItem]) -> set[int]:
    """The messages of a page (or a polled batch) with a pending flag, which show the moderation warning: one
    query for them all, none for an empty list."""
    return flagged_object_ids(type_key=MESSAGE_TYPE_KEY, object_ids=[item.id for item in items])


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.conversation_list(viewer=request.user), CONVERSATIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    items = selectors.conversation_items(viewer=request.user, conversations=page.object_list)
    return render(
        request,
        "messaging/inbox.html",
        {"page": page, "conversations": items, "search_form": SearchForm(), "finder_form": ReaderFinderForm()},
    )


def _reply_form(request: HttpRequest, conversation: selectors.ConversationItem, data: Any = None) -> MessageForm:
    if conversation.viewer_is_client:
        return MessageForm(data)
    return ReplyForm(data, initial={"price_amount": services.paid_reply_default_price(reader=request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def conversation(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.conversation_get(viewer=request.user, conversation_id=pk)
    form = _reply_form(request, item, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.message_send(actor=request.user, conversation_id=pk, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            request.session[_RING_SESSION_KEY] = pk
            messages.success(request, "Message sent.", extra_tags="announce")
            return redirect("messaging:conversation", pk=pk)
    services.conversation_mark_read(viewer=request.user, conversation_id=pk)
    items, has_older = selectors.message_page(viewer=request.user, conversation_id=pk)
    context = {
        "conversation": item,
        "items": items,
        "flagged_ids": _flagged_ids(items),
        "has_older": has_older,
        "form": form,
        "poll_seconds": POLL_SECONDS,
        "doorbell": _doorbell(request, pk),
    }
    return render(request, "messaging/conversation.html", context, status=400 if form.errors else 200)


def _doorbell(request: HttpRequest, pk: int) -> dict[str, Any] | None:
    """Live updates for a party of the conversation (the caller has already 404ed everyone else)."""
    ring = request.session.get(_RING_SESSION_KEY) == pk
    if ring:
        del request.session[_RING_SESSION_KEY]
    return rtc_doorbell_context(
        request=request,
        use=CONVERSATION_USE,
        object_id=pk,
        channel_name=conversation_channel_name(pk),
        refresh_event=REFRESH_EVENT,
        ring=ring,
    )


@login_required
@require_GET
def older(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.conversation_get(viewer=request.user, conversation_id=pk)
    items, has_older = selectors.message_page(
        viewer=request.user, conversation_id=pk, before_id=_int_param(request, "before")
    )
    context = {"conversation": item, "items": items, "flagged_ids": _flagged_ids(items), "has_older": has_older}
    return render(request, "messaging/partials/_older.html", context)


@login_required
@require_GET
def poll(request: HttpRequest, pk: int) -> HttpResponse:
    """New messages since ``after`` (HTMX polling); marks them read because the viewer has the thread open."""
    item = selectors.conversation_get(viewer=request.user, conversation_id=pk)
    after = _int_param(request, "after") or 0
    items = selectors.message_new_list(viewer=request.user, conversation_id=pk, after_id=after)
    if items:
        services.conversation_mark_read(viewer=request.user, conversation_id=pk)
    last_id = items[-1].id if items else after
    context = {
        "conversation": item,
        "items": items,
        "flagged_ids": _flagged_ids(items),
        "last_id": last_id,
        "poll_seconds": POLL_SECONDS,
    }
    return render(request, "messaging/partials/_poll.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest, reader_pk: int) -> HttpResponse:
    """A client writes to a reader; an existing conversation with them opens instead."""
    reader = selectors.reader_recipient_get(reader_profile_id=reader_pk)
    existing = selectors.conversation_with_reader_get(viewer=request.user, reader_id=reader.user_id)
    if existing is not None:
        return redirect("messaging:conversation", pk=existing.id)
    form = MessageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            message = services.client_message_send(actor=request.user, reader_id=reader.user_id, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            request.session[_RING_SESSION_KEY] = message.conversation_id
            return redirect("messaging:conversation", pk=message.conversation_id)
    return render(request, "messaging/start.html", {"reader": reader, "form": form}, status=400 if form.errors else 200)


@login_required
@require_GET
def find_reader(request: HttpRequest) -> HttpResponse:
    form = ReaderFinderForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    readers = selectors.reader_recipient_list(query=query)
    return render(request, "messaging/find_reader.html", {"form": form, "readers": readers, "query": query})


@verified_email_required
@require_http_methods(["GET", "POST"])
@rate_limited("messaging.unlock", what="unlocked replies")
def unlock(request: HttpRequest, message_pk: int) -> HttpResponse:
    """Confirm the price, then pay for and open a paid reply."""
    item = selectors.message_get(viewer=request.user, message_id=message_pk)
    conversation = selectors.conversation_get(viewer=request.user, conversation_id=item.conversation_id)
    if not (item.is_paid and conversation.viewer_is_client and not item.is_mine):
        raise MessageNotFound()
    error, needs_funds = "", False
    if request.method == "POST":
        try:
            services.message_unlock(actor=request.user, message_id=message_pk, request=request)
        except InsufficientFunds:
            error, needs_funds = "Your wallet does not hold enough for this reply. Nothing was charged.", True
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, "Reply unlocked.")
            return redirect(reverse("messaging:conversation", args=[conversation.id]) + f"#message-{message_pk}")
    context = {
        "item": item,
        "conversation": conversation,
        "balance": wallet_balance(user=request.user),
        "error": error,
        "needs_funds": needs_funds,
    }
    return render(request, "messaging/unlock.html", context, status=402 if needs_funds else 400 if error else 200)


@login_required
@require_POST
def block(request: HttpRequest, pk: int) -> HttpResponse:
    blocked = request.POST.get("blocked") == "1"
    services.conversation_block_set(actor=request.user, conversation_id=pk, blocked=blocked)
    messages.success(request, "Reader blocked: they can no longer write to you." if blocked else "Reader unblocked.")
    return redirect("messaging:conversation", pk=pk)


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    page = Paginator(selectors.message_search(viewer=request.user, query=query), SEARCH_RESULTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    results = selectors.search_items(viewer=request.user, rows=page.object_list)
    return render(request, "messaging/search.html", {"form": form, "page": page, "results": results, "query": query})


@require_GET
def unread_badge(request: HttpRequest) -> HttpResponse:
    count = selectors.unread_total(viewer=request.user)
    return render(
        request, "messaging/partials/_unread_badge.html", {"unread_count": count, "poll_seconds": BADGE_POLL_SECONDS}
    )
