"""Pages of the forums. Reads go through selectors scoped to the viewer (signed-out visitors read public forums);
every write is a service call that checks the actor itself."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.core.errors import domain_errors_redirect
from apps.core.exceptions import DomainError
from apps.core.parsing import id_or_none
from apps.moderation.guards import active_suspension, write_guard

from . import selectors, services
from .access import category_postable, forum_moderator
from .exceptions import InvalidPost, PostingNotAllowed, PostNotFound
from .forms import PostEditForm, PostForm, SearchForm, ThreadForm
from .markdown import markdown_quote
from .models import Post


def _post_url(post: Post) -> str:
    page = selectors.post_page_number(post=post)
    suffix = f"?page={page}" if page > 1 else ""
    return f"{reverse('community:thread', args=[post.thread_id])}{suffix}#post-{post.pk}"


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    categories = selectors.category_list(viewer=request.user)
    return render(request, "community/home.html", {"categories": categories, "search_form": SearchForm()})


@require_GET
def category(request: HttpRequest, slug: str) -> HttpResponse:
    forum = selectors.category_get(viewer=request.user, slug=slug)
    page = selectors.thread_page(viewer=request.user, category=forum, page_number=request.GET.get("page"))
    is_suspended = request.user.is_authenticated and active_suspension(request.user) is not None
    context = {
        "category": forum,
        "page": page,
        "can_post": category_postable(viewer=request.user, category=forum) and not is_suspended,
        "is_suspended": is_suspended,
    }
    return render(request, "community/category.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def thread_new(request: HttpRequest, slug: str) -> HttpResponse:
    forum = selectors.category_get(viewer=request.user, slug=slug)
    if not category_postable(viewer=request.user, category=forum):
        raise PostingNotAllowed()  # the form is not offered where the service would refuse the post
    write_guard(request.user)  # nor to a suspended member: the refusal says why and until when, before any typing
    status = 400
    form = ThreadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.thread_create(actor=request.user, category_slug=slug, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
            status = error.status_code
        else:
            messages.success(request, "Your thread is posted. You will hear of replies.")
            return redirect("community:thread", pk=created.pk)
    status = status if request.method == "POST" else 200
    return render(request, "community/thread_new.html", {"category": forum, "form": form}, status=status)


def _quote_initial(request: HttpRequest, thread_id: int) -> dict[str, str]:
    """The reply box's text when the viewer pressed "Quote" on a post of this thread."""
    quoted_id = id_or_none(request.GET.get("quote"))
    if quoted_id is None or not request.user.is_authenticated:
        return {}
    try:
        quoted = selectors.post_get(viewer=request.user, post_id=quoted_id)
    except PostNotFound:
        return {}
    if quoted.thread_id != thread_id or quoted.is_hidden:
        return {}
    permalink = reverse("community:post", args=[quoted.pk])
    return {"body": markdown_quote(text=quoted.body, author_name=quoted.author.public_name, permalink=permalink)}


def _thread_render(request: HttpRequest, pk: int, form: PostForm, status: int = 200) -> HttpResponse:
    thread = selectors.thread_get(viewer=request.user, thread_id=pk)
    view = selectors.thread_view(viewer=request.user, thread=thread, page_number=request.GET.get("page"))
    return render(request, "community/thread.html", {"view": view, "thread": thread, "form": form}, status=status)


@require_GET
def thread(request: HttpRequest, pk: int) -> HttpResponse:
    return _thread_render(request, pk, PostForm(initial=_quote_initial(request, pk)))


@login_required
@require_POST
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    selectors.thread_get(viewer=request.user, thread_id=pk)
    form = PostForm(request.POST, request.FILES)
    status = 400
    if form.is_valid():
        try:
            post = services.post_reply(actor=request.user, thread_id=pk, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
            status = error.status_code
        else:
            messages.success(request, "Your reply is posted.", extra_tags="announce")
            return redirect(_post_url(post))
    return _thread_render(request, pk, form, status=status)


@require_GET
def post(request: HttpRequest, pk: int) -> HttpResponse:
    """A post's permalink: the page of its thread that shows it, at the post."""
    return redirect(_post_url(selectors.post_get(viewer=request.user, post_id=pk)))


@login_required
@require_http_methods(["GET", "POST"])
def post_edit(request: HttpRequest, pk: int) -> HttpResponse:
    post = selectors.post_get_for_edit(viewer=request.user, post_id=pk)
    initial = {"body": post.body, "title": post.thread.title}
    form = PostEditForm(request.POST or None, initial=initial, with_title=post.is_first)
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid():
        try:
            services.post_edit(actor=request.user, post_id=pk, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
            status = error.status_code
        else:
            messages.success(request, "Your changes are saved.")
            return redirect(_post_url(post))
    return render(request, "community/post_edit.html", {"post": post, "form": form}, status=status)


@require_GET
def post_history(request: HttpRequest, pk: int) -> HttpResponse:
    post = selectors.post_get(viewer=request.user, post_id=pk)
    revisions = selectors.post_revision_list(viewer=request.user, post=post)
    return render(request, "community/post_history.html", {"post": post, "revisions": revisions})


def moderator_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Forum moderators only; anyone else gets 404, whatever the method, so the page does not reveal itself."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not forum_moderator(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _checked(request: HttpRequest) -> bool:
    return request.POST.get("value") == "on"


@login_required
@require_POST
@domain_errors_redirect("community:thread", "pk")
def follow(request: HttpRequest, pk: int) -> HttpResponse:
    following = services.subscription_set(actor=request.user, thread_id=pk, subscribed=_checked(request))
    messages.success(request, "You follow this thread." if following else "You no longer follow this thread.")
    return redirect("community:thread", pk=pk)


THREAD_ACTIONS = {
    "pin": (services.thread_pin, {"pinned": True}, "Thread pinned to the top of its forum."),
    "unpin": (services.thread_pin, {"pinned": False}, "Thread unpinned."),
    "lock": (services.thread_lock_set, {"locked": True}, "Thread locked: no new replies or edits."),
    "unlock": (services.thread_lock_set, {"locked": False}, "Thread open for replies again."),
}


@login_required
@moderator_required
@require_http_methods(["GET", "POST"])
@domain_errors_redirect("community:moderate", "pk")
def moderate(request: HttpRequest, pk: int) -> HttpResponse:
    """A moderator's tools for one thread: pin or unpin, lock or unlock (each audited)."""
    thread = selectors.thread_get(viewer=request.user, thread_id=pk)
    if request.method == "POST":
        action = THREAD_ACTIONS.get(request.POST.get("action", ""))
        if action is None:
            raise InvalidPost("Choose what to do with the thread.")
        service, values, done = action
        service(actor=request.user, thread_id=pk, **values)
        messages.success(request, done)
        return redirect("community:thread", pk=pk)
    opening = thread.posts.filter(is_first=True).only("pk").first()
    return render(request, "community/moderate.html", {"thread": thread, "opening": opening})


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    page: Any = None
    if form.is_valid():
        page = selectors.search_page(
            viewer=request.user, query=form.cleaned_data["q"], page_number=request.GET.get("page")
        )
    return render(request, "community/search.html", {"form": form, "page": page})


@require_GET
def attachment(request: HttpRequest, pk: int) -> HttpResponse:
    """A post's file, for anyone who may read its thread. Members get a fresh link bound to them (10 minutes);
    signed-out visitors of a public forum get the file from here (or a storage URL signed for a minute)."""
    opening = services.attachment_open(viewer=request.user, attachment_id=pk)
    if opening.redirect_url:
        response: HttpResponse = HttpResponseRedirect(opening.redirect_url)
    else:
        response = FileResponse(
            open(opening.local_path, "rb"),  # noqa: SIM115 - FileResponse closes it
            as_attachment=not opening.attachment.is_image,
            filename=opening.attachment.filename,
            content_type=opening.attachment.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The link in a reply email. Opening it shows one button; pressing it stops the emails, signed in or not.
    (A GET changes nothing, so mail scanners that open links do not unsubscribe anyone.)"""
    services.unsubscribe_token_read(token)  # a forged or damaged link answers 400 before anything is shown
    if request.method == "POST":
        services.unsubscribe_by_token(token=token)
        return render(request, "community/unsubscribe.html", {"done": True})
    return render(request, "community/unsubscribe.html", {"done": False})
