"""Personal data of the forums (see ``apps/core/privacy.py``): threads started, posts with their earlier versions
and files, and followed threads. On deletion the person's words go (posts' text and earlier versions, their
threads' titles, the notifications that quoted those titles) and their files leave the storage; the posts keep
their place in their threads so the others' replies still read in order."""

from typing import Any

from django.db.models import Q

from apps.core.privacy import FileRef, PersonalData, personal_data_register
from apps.core.stored_images import StoredImageField, stored_image_register
from apps.notifications.services import notification_texts_remove

from .markdown import markdown_render
from .models import Attachment, Post, PostRevision, Subscription, Thread

REMOVED = "[Removed when the account was deleted.]"
REMOVED_TITLE = "A thread by a deleted account"


def _export(user: Any) -> dict[str, Any]:
    return {
        "threads_started": list(
            Thread.objects.filter(author=user)
            .order_by("pk")
            .values("id", "title", "category__name", "created_at", "is_pinned", "is_locked", "hidden_at")
        ),
        "posts": list(
            Post.objects.filter(author=user)
            .order_by("pk")
            .values("id", "thread_id", "is_first", "body", "created_at", "edited_at", "hidden_at", "hidden_reason")
        ),
        "earlier_versions_of_posts": list(
            PostRevision.objects.filter(post__author=user)
            .order_by("pk")
            .values("post_id", "title", "body", "created_at")
        ),
        "attachments": list(
            Attachment.objects.filter(post__author=user)
            .order_by("pk")
            .values("id", "post_id", "filename", "content_type", "size_bytes", "created_at")
        ),
        "threads_followed": list(
            Subscription.objects.filter(user=user).order_by("pk").values("thread_id", "thread__title", "created_at")
        ),
    }


def _files(user: Any) -> list[FileRef]:
    return [
        ("default", key, f"community/{pk}-{filename}")
        for pk, key, filename in Attachment.objects.filter(post__author=user)
        .order_by("pk")
        .values_list("pk", "storage_key", "filename")
    ]


def _erase(user: Any) -> None:
    """Inner helper: the deletion service holds the transaction and the user's row lock. The files themselves are
    deleted from the storage by the privacy app once this has committed (``_files``)."""
    titles = list(Thread.objects.filter(author=user).values_list("title", flat=True))
    notification_texts_remove(texts=titles, replacement=REMOVED_TITLE)
    Thread.objects.filter(author=user).update(title=REMOVED_TITLE, search_vector=None)
    Post.objects.filter(author=user).update(body=REMOVED, body_html=markdown_render(REMOVED), search_vector=None)
    PostRevision.objects.filter(post__author=user).delete()
    Attachment.objects.filter(post__author=user).delete()
    Subscription.objects.filter(user=user).delete()


personal_data_register(
    PersonalData(
        key="community.forums",
        export=_export,
        erase=_erase,
        files=_files,
        models=("community.Thread", "community.Post", "community.PostRevision", "community.Subscription"),
    )
)


def _attachment_describe(checked: Any) -> dict[str, Any]:
    """The columns that describe a rewritten image: turned upright, its width and height may swap, and its type is
    the one its content says (an old row may have kept the browser's word)."""
    return {
        "content_type": checked.content_type,
        "size_bytes": len(checked.content),
        "width": checked.width,
        "height": checked.height,
    }


# Image attachments (never the PDFs) stored before uploads were re-encoded may still carry metadata.
stored_image_register(
    StoredImageField(
        key="community.attachments",
        model="community.Attachment",
        field="storage_key",
        storage="default",
        images=Q(content_type__startswith="image/"),
        describe=_attachment_describe,
    )
)
