"""Reads of the forums. Every read is scoped to what the viewer may see: a forum, thread or post they may not
read is "not found" for them (signed-out visitors read public forums only; hidden content is for moderators,
and for its author, who sees why it was hidden)."""

from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Max, Prefetch, Q, QuerySet

from .access import category_postable, category_readable, forum_moderator, is_signed_in, readable_categories_q
from .constants import POSTS_PER_PAGE, SEARCH_CONFIG, SEARCH_RESULTS_PER_PAGE, THREADS_PER_PAGE
from .exceptions import AttachmentNotFound, CategoryNotFound, PostNotFound, ThreadNotFound
from .models import Attachment, Category, Post, PostRevision, Subscription, Thread


def _visible_threads_q(viewer: Any, prefix: str = "") -> Q:
    if forum_moderator(viewer):
        return Q()
    shown = Q(**{f"{prefix}hidden_at__isnull": True})
    if is_signed_in(viewer):
        shown |= Q(**{f"{prefix}author_id": viewer.pk})
    return shown


def category_list(*, viewer: Any) -> QuerySet[Category]:
    """The forums ``viewer`` may read, in the admins' order, with how many threads each holds and the last post."""
    shown = _visible_threads_q(viewer, "threads__")
    return (
        Category.objects.filter(readable_categories_q(viewer))
        .annotate(
            thread_count=Count("threads", filter=shown),
            last_posted_at=Max("threads__last_posted_at", filter=shown),
        )
        .order_by("position", "name")
    )


def category_get(*, viewer: Any, slug: str) -> Category:
    category = Category.objects.filter(slug=slug).first()
    if category is None or not category_readable(viewer=viewer, category=category):
        raise CategoryNotFound()
    return category


def category_get_for_admin(*, viewer: Any, category_id: int) -> Category:
    category = Category.objects.filter(pk=category_id).first() if getattr(viewer, "is_staff", False) else None
    if category is None:
        raise CategoryNotFound()
    return category


def thread_page(*, viewer: Any, category: Category, page_number: Any) -> Page:
    """One page of a forum's threads: pinned first, then the most recently active."""
    threads = (
        Thread.objects.filter(category=category)
        .filter(_visible_threads_q(viewer))
        .select_related("author")
        .order_by("-is_pinned", "-last_posted_at", "-id")
    )
    return Paginator(threads, THREADS_PER_PAGE).get_page(page_number)


def thread_get(*, viewer: Any, thread_id: int) -> Thread:
    """A thread ``viewer`` may read (its forum readable, and shown, or theirs, or they moderate)."""
    thread = (
        Thread.objects.select_related("category", "author")
        .filter(pk=thread_id)
        .filter(_visible_threads_q(viewer))
        .first()
    )
    if thread is None or not category_readable(viewer=viewer, category=thread.category):
        raise ThreadNotFound()
    return thread


@dataclass(frozen=True)
class ThreadView:
    """What the thread page shows: a page of posts and what the viewer may do."""

    thread: Thread
    page: Page
    can_reply: bool
    is_suspended: bool
    can_moderate: bool
    is_subscribed: bool
    flagged_post_ids: frozenset[int]


def post_page_number(*, post: Post) -> int:
    """The page of its thread that shows ``post`` (pages hold POSTS_PER_PAGE posts, oldest first; hidden posts
    keep their place, so a permalink's page never changes)."""
    before = Post.objects.filter(thread_id=post.thread_id, pk__lt=post.pk).count()
    return before // POSTS_PER_PAGE + 1


def thread_view(*, viewer: Any, thread: Thread, page_number: Any) -> ThreadView:
    """The thread page: a fixed number of queries however many posts it has (posts with their authors and
    attachments, the count for pagination, the viewer's subscription, the pending flags)."""
    posts = (
        Post.objects.filter(thread=thread)
        .select_related("author")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        .order_by("id")
    )
    page = Paginator(posts, POSTS_PER_PAGE).get_page(page_number)
    can_moderate = forum_moderator(viewer)
    is_subscribed = (
        is_signed_in(viewer) and Subscription.objects.filter(user_id=viewer.pk, thread_id=thread.pk).exists()
    )
    from apps.moderation.guards import active_suspension

    is_suspended = active_suspension(viewer) is not None
    return ThreadView(
        thread=thread,
        page=page,
        is_suspended=is_suspended,
        can_reply=not is_suspended
        and (
            not thread.is_locked and not thread.is_hidden and category_postable(viewer=viewer, category=thread.category)
        ),
        can_moderate=can_moderate,
        is_subscribed=is_subscribed,
        flagged_post_ids=frozenset(_flagged_ids([post.pk for post in page.object_list])),
    )


def _flagged_ids(post_ids: list[int]) -> set[int]:
    """Posts of ``post_ids`` with a report no moderator has decided yet (one query; none for an empty page)."""
    from apps.moderation.selectors import flagged_object_ids

    return flagged_object_ids(type_key="community.post", object_ids=post_ids)


def post_get(*, viewer: Any, post_id: int) -> Post:
    """A post in a thread ``viewer`` may read (raises ``PostNotFound``)."""
    post = Post.objects.select_related("thread", "thread__category", "author").filter(pk=post_id).first()
    if post is None:
        raise PostNotFound()
    try:
        thread_get(viewer=viewer, thread_id=post.thread_id)
    except ThreadNotFound:
        raise PostNotFound()
    if post.is_hidden and not (forum_moderator(viewer) or (is_signed_in(viewer) and post.author_id == viewer.pk)):
        raise PostNotFound()
    return post


def post_get_for_edit(*, viewer: Any, post_id: int) -> Post:
    """One of ``viewer``'s own posts, still shown, to edit; anyone else's post is not found for editing."""
    if not is_signed_in(viewer):
        raise PostNotFound()
    post = post_get(viewer=viewer, post_id=post_id)
    if post.author_id != viewer.pk or post.is_hidden:
        raise PostNotFound()
    return post


def post_revision_list(*, viewer: Any, post: Post) -> QuerySet[PostRevision]:
    """Earlier versions of a post ``viewer`` may read, newest first."""
    return PostRevision.objects.filter(post=post).select_related("edited_by").order_by("-created_at", "-id")


def followed_thread_list(*, viewer: Any, limit: int = 5) -> list[Thread]:
    """The threads ``viewer`` follows and may still read, most recent activity first (at most ``limit``)."""
    if not is_signed_in(viewer):
        return []
    return list(
        Thread.objects.filter(subscriptions__user_id=viewer.pk)
        .filter(_visible_threads_q(viewer))
        .select_related("category")
        .order_by("-last_posted_at", "-id")[:limit]
    )


def user_has_visible_post(user: Any) -> bool:
    """Whether ``user`` has a post others can see: activity that lifts a new account's trust level."""
    return Post.objects.filter(author_id=user.pk, hidden_at__isnull=True, thread__hidden_at__isnull=True).exists()


def attachment_get(*, viewer: Any, attachment_id: int) -> Attachment:
    """An attachment of a post ``viewer`` may read."""
    attachment = Attachment.objects.filter(pk=attachment_id).first()
    if attachment is None:
        raise AttachmentNotFound()
    try:
        post_get(viewer=viewer, post_id=attachment.post_id)
    except PostNotFound:
        raise AttachmentNotFound()
    return attachment


def search_page(*, viewer: Any, query: str, page_number: Any) -> Page:
    """Posts matching ``query`` (PostgreSQL full text over post bodies, and thread titles for opening posts) in
    the forums ``viewer`` may read, best match first. Hidden posts and threads are never found."""
    search = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
    matches = Q(search_vector=search) | Q(is_first=True, thread__search_vector=search)
    posts = (
        Post.objects.filter(matches, hidden_at__isnull=True, thread__hidden_at__isnull=True)
        .filter(readable_categories_q(viewer, "thread__category__"))
        .select_related("thread", "thread__category", "author")
        .annotate(rank=SearchRank(F("search_vector"), search) + SearchRank(F("thread__search_vector"), search))
        .order_by("-rank", "-id")
    )
    return Paginator(posts, SEARCH_RESULTS_PER_PAGE).get_page(page_number)
