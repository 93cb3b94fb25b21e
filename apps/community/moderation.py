"""How the moderation queue handles forum posts, opening posts included (registered in CommunityConfig.ready).

Hiding an opening post hides its thread too (the title is part of what was reported): it leaves the forum's
list and search, and only moderators and its author still open it.
"""

from typing import Any

from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.moderation.registry import ContentSummary, ModeratableType

from .exceptions import PostNotFound
from .models import Post, Thread
from .selectors import post_get

TYPE_KEY = "community.post"


def post_reportable_get(*, user: Any, object_id: int) -> Post:
    """A shown post someone else wrote, in a thread ``user`` may read (raises Post.DoesNotExist)."""
    try:
        post = post_get(viewer=user, post_id=object_id)
    except PostNotFound:
        raise Post.DoesNotExist()
    if post.author_id == user.pk or post.is_hidden or post.thread.is_hidden:
        raise Post.DoesNotExist()
    return post


def post_hide(*, obj: Post, actor: Any, reason: str) -> bool:
    """Hide a post from everyone but moderators and its author. Inner helper: the caller holds the transaction
    and audits the decision."""
    now = timezone.now()
    changed = Post.objects.filter(pk=obj.pk, hidden_at__isnull=True).update(hidden_at=now, hidden_reason=reason[:200])
    if changed and obj.is_first:
        Thread.objects.filter(pk=obj.thread_id, hidden_at__isnull=True).update(hidden_at=now)
    return changed == 1


def post_delete(*, obj: Post, actor: Any, reason: str) -> bool:
    """A moderator's delete: the post (and its thread, for an opening post) is hidden and shown as removed; the
    row and its text stay for the audit, and ``post_unhide`` can still bring it back. Inner helper, like
    ``post_hide``."""
    now = timezone.now()
    changed = Post.objects.filter(pk=obj.pk, deleted_at__isnull=True).update(
        deleted_at=now, hidden_at=Coalesce(F("hidden_at"), Value(now)), hidden_reason=reason[:200]
    )
    if changed and obj.is_first:
        Thread.objects.filter(pk=obj.thread_id, hidden_at__isnull=True).update(hidden_at=now)
    return changed == 1


def post_unhide(*, obj: Post, actor: Any) -> bool:
    """Show a hidden or deleted post (and its thread, for an opening post) again. Inner helper, like
    ``post_hide``."""
    changed = Post.objects.filter(pk=obj.pk, hidden_at__isnull=False).update(
        hidden_at=None, deleted_at=None, hidden_reason=""
    )
    if changed and obj.is_first:
        Thread.objects.filter(pk=obj.thread_id).update(hidden_at=None)
    return changed == 1


def post_summary(post: Post) -> ContentSummary:
    thread = post.thread
    text = f"{thread.title}\n\n{post.body}" if post.is_first else post.body
    kind = "Opening post" if post.is_first else "Reply"
    return ContentSummary(
        author=post.author,
        text=text,
        is_hidden=post.is_hidden,
        is_deleted=post.is_deleted,
        context=f"{kind} in the thread “{thread.title}” (forum {thread.category.name})",
    )


POST_MODERATION = ModeratableType(
    key=TYPE_KEY,
    label="Forum post",
    model=Post,
    reportable_get=post_reportable_get,
    hide=post_hide,
    unhide=post_unhide,
    summary=post_summary,
    delete=post_delete,
)
