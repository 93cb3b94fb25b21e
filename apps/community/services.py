"""Write services of the forums: categories (admins), threads, replies, edits, pin and lock (moderators),
subscriptions. Each opens one durable transaction; nothing is written when a domain error is raised."""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.postgres.search import SearchVector
from django.core import signing
from django.core.files.storage import storages
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import slugify

from apps.core.exceptions import PermissionDeniedError
from apps.core.files import file_link_issue, storage_local_path
from apps.core.outbox import outbox_enqueue
from apps.core.services import audit_log_record
from apps.core.uploads import CheckedUpload, UploadRefused, private_file_save, upload_check, upload_name_clean
from apps.moderation.guards import write_guard
from apps.moderation.trust import may_attach_files, may_post_links, trust_rate_limit
from apps.notifications.registry import notification_kind_register
from apps.notifications.services import notify

from .access import category_postable, forum_moderator, is_signed_in
from .constants import (
    ATTACHMENT_LINK_MINUTES,
    ATTACHMENT_MAX_BYTES,
    ATTACHMENTS_PER_POST,
    POST_MAX_LENGTH,
    POST_RATE_NEW,
    POST_RATE_NORMAL,
    SEARCH_CONFIG,
    TITLE_MAX_LENGTH,
)
from .enums import CategoryPosting, CategoryVisibility
from .exceptions import (
    CategoryNotFound,
    InvalidCategory,
    InvalidPost,
    InvalidUnsubscribeLink,
    PostingNotAllowed,
    PostNotFound,
    ThreadLocked,
    ThreadNotFound,
)
from .locks import post_lock, thread_lock
from .markdown import markdown_has_links, markdown_render
from .models import Attachment, Category, Post, PostRevision, Subscription, Thread
from .selectors import attachment_get, category_get, post_get_for_edit, thread_get

logger = logging.getLogger(__name__)
T = TypeVar("T")
REPLY_KIND = notification_kind_register("community.reply", label="A reply in a thread you follow")
REPLY_EMAIL = "community.reply_email"
UNSUBSCRIBE_SALT = "community.unsubscribe"

# --- input -------------------------------------------------------------------------------------------------


def post_body_clean(body: Any) -> str:
    text = str(body or "").replace("\r\n", "\n").strip()
    if not text:
        raise InvalidPost()
    if len(text) > POST_MAX_LENGTH:
        raise InvalidPost(f"A post can be at most {POST_MAX_LENGTH} characters long ({len(text)} given).")
    return text


def thread_title_clean(title: Any) -> str:
    text = " ".join(str(title or "").split())
    if not text:
        raise InvalidPost("Give the thread a title.")
    if len(text) > TITLE_MAX_LENGTH:
        raise InvalidPost(f"A title can be at most {TITLE_MAX_LENGTH} characters long.")
    return text


def _write_checks(actor: Any, *, body: str, files: Sequence[Any] = ()) -> None:
    """Before any post or edit of ``actor``: signed in and not suspended; links and files only once their account
    is trusted past NEW; within the posting rate limit (stricter for new accounts). Nothing is written yet."""
    if not is_signed_in(actor):
        raise PostingNotAllowed("Sign in to post.")
    write_guard(actor)
    if markdown_has_links(body) and not may_post_links(actor):
        raise InvalidPost(
            "New accounts cannot post links yet. Take part for a day (a reading, or a post of your own) and "
            "links open up; or write the address without making it a link."
        )
    if files and not may_attach_files(actor):
        raise InvalidPost(
            "New accounts cannot attach files yet. Take part for a day (a reading, or a post of your own) and "
            "attachments open up."
        )
    trust_rate_limit(actor, action="community_post", normal=POST_RATE_NORMAL, new=POST_RATE_NEW)


def _search_refresh(*, post: Post) -> None:
    """Recompute the searchable text of ``post`` (and of its thread's title for an opening post). Inner helper:
    the caller holds the transaction."""
    Post.objects.filter(pk=post.pk).update(search_vector=SearchVector("body", config=SEARCH_CONFIG))
    if post.is_first:
        Thread.objects.filter(pk=post.thread_id).update(search_vector=SearchVector("title", config=SEARCH_CONFIG))


# --- categories (admins) -----------------------------------------------------------------------------------


def _category_values(*, name: Any, description: Any, position: Any, visibility: Any, posting: Any) -> dict[str, Any]:
    name = " ".join(str(name or "").split())
    if not name or len(name) > 80:
        raise InvalidCategory("Give the forum a name of at most 80 characters.")
    if visibility not in CategoryVisibility.values:
        raise InvalidCategory("Choose who may read the forum.")
    if posting not in CategoryPosting.values:
        raise InvalidCategory("Choose who may post in the forum.")
    description = str(description or "").strip()
    if len(description) > 500:
        raise InvalidCategory("Keep the description under 500 characters.")
    try:
        position = int(position or 0)
    except (TypeError, ValueError):
        raise InvalidCategory("The order must be a whole number.")
    if not 0 <= position <= 32767:
        raise InvalidCategory("The order must be between 0 and 32767.")
    slug = slugify(name)[:80]
    if not slug:
        raise InvalidCategory("The forum's name needs letters or digits.")
    return {
        "name": name,
        "slug": slug,
        "description": description,
        "position": position,
        "visibility": visibility,
        "posting": posting,
    }


def _require_admin(actor: Any) -> None:
    if not (is_signed_in(actor) and actor.is_staff):
        raise PermissionDeniedError("Only admins manage forums.")


@transaction.atomic(durable=True)
def category_create(
    *, actor: Any, name: str, description: str = "", position: int = 0, visibility: str, posting: str
) -> Category:
    """An admin opens a new forum."""
    _require_admin(actor)
    values = _category_values(
        name=name, description=description, position=position, visibility=visibility, posting=posting
    )
    if Category.objects.filter(slug=values["slug"]).exists():
        raise InvalidCategory("A forum with this name already exists.")
    try:
        with transaction.atomic():
            category = Category.objects.create(**values)
    except IntegrityError:
        raise InvalidCategory("A forum with this name already exists.")
    audit_log_record(actor=actor, action="community.category_created", target=category, details=values)
    return category


@transaction.atomic(durable=True)
def category_update(
    *, actor: Any, category_id: int, name: str, description: str = "", position: int = 0, visibility: str, posting: str
) -> Category:
    """An admin changes a forum (its address follows its name)."""
    _require_admin(actor)
    category = Category.objects.select_for_update().filter(pk=category_id).first()
    if category is None:
        raise CategoryNotFound()
    values = _category_values(
        name=name, description=description, position=position, visibility=visibility, posting=posting
    )
    if Category.objects.filter(slug=values["slug"]).exclude(pk=category.pk).exists():
        raise InvalidCategory("A forum with this name already exists.")
    before = {key: getattr(category, key) for key in values}
    for key, value in values.items():
        setattr(category, key, value)
    category.save(update_fields=list(values))
    audit_log_record(
        actor=actor, action="community.category_updated", target=category, details={"before": before, "after": values}
    )
    return category


# --- threads and posts -------------------------------------------------------------------------------------


# --- attachments ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredFile:
    """A checked upload already in private storage, waiting for its post's row."""

    upload: CheckedUpload
    storage_key: str


def attachments_check(files: Sequence[Any]) -> list[CheckedUpload]:
    """Each file checked by its content (JPEG, PNG, WebP or PDF; images re-encoded without metadata). A refused
    file raises ``UploadRefused`` naming the file and the reason; nothing is stored."""
    if len(files) > ATTACHMENTS_PER_POST:
        raise UploadRefused(f"Attach at most {ATTACHMENTS_PER_POST} files to a post ({len(files)} given).")
    checked = []
    for file in files:
        try:
            checked.append(upload_check(file, kinds={"image", "pdf"}, max_bytes=ATTACHMENT_MAX_BYTES))
        except UploadRefused as refused:
            name = upload_name_clean(getattr(file, "name", "") or "")
            raise UploadRefused(f"{name}: {refused.message}.", code=refused.code) from None
    return checked


def _files_store(checked: list[CheckedUpload]) -> list[StoredFile]:
    """Put checked files in private storage before the post's transaction (storage is not transactional)."""
    return [
        StoredFile(
            upload=upload,
            storage_key=private_file_save(content=upload.content, prefix="community", extension=upload.extension),
        )
        for upload in checked
    ]


def _files_discard(stored: list[StoredFile]) -> None:
    """The post was refused after its files were stored: remove them again (best effort)."""
    for item in stored:
        try:
            storages["default"].delete(item.storage_key)
        except Exception:  # an orphan file costs little; the refusal must still reach the user
            logger.warning("community: could not remove the refused post's file %s", item.storage_key)


def _with_files(files: Sequence[Any], write: Callable[[list[StoredFile]], T]) -> T:
    """Check and store ``files``, then run ``write`` (the durable transaction) with them; remove the stored
    files if it raises."""
    stored = _files_store(attachments_check(files)) if files else []
    try:
        return write(stored)
    except BaseException:
        _files_discard(stored)
        raise


def _post_insert(*, actor: Any, thread: Thread, body: str, is_first: bool, files: list[StoredFile]) -> Post:
    """Inner helper: the caller holds the transaction."""
    post = Post.objects.create(
        thread=thread, author=actor, is_first=is_first, body=body, body_html=markdown_render(body)
    )
    Attachment.objects.bulk_create(
        Attachment(
            post=post,
            storage_key=item.storage_key,
            filename=item.upload.original_name[:150],
            content_type=item.upload.content_type,
            size_bytes=len(item.upload.content),
            width=item.upload.width,
            height=item.upload.height,
        )
        for item in files
    )
    _search_refresh(post=post)
    Subscription.objects.get_or_create(user=actor, thread=thread)
    return post


def _post_checks(*, actor: Any, category: Category, body: str, files: Sequence[Any]) -> str:
    """Whether ``actor`` may post this here (before anything is stored); returns the cleaned body."""
    if not category_postable(viewer=actor, category=category):
        raise PostingNotAllowed()
    body = post_body_clean(body)
    _write_checks(actor, body=body, files=files)
    return body


def thread_create(*, actor: Any, category_slug: str, title: str, body: str, attachments: Sequence[Any] = ()) -> Thread:
    """``actor`` starts a thread in a forum they may post in, with up to 4 checked files; they follow it from
    then on."""
    category = category_get(viewer=actor, slug=category_slug)
    title = thread_title_clean(title)
    body = _post_checks(actor=actor, category=category, body=body, files=attachments)

    @transaction.atomic(durable=True)
    def write(files: list[StoredFile]) -> Thread:
        thread = Thread.objects.create(category=category, author=actor, title=title, last_posted_at=timezone.now())
        _post_insert(actor=actor, thread=thread, body=body, is_first=True, files=files)
        return thread

    return _with_files(attachments, write)


def post_reply(*, actor: Any, thread_id: int, body: str, attachments: Sequence[Any] = ()) -> Post:
    """``actor`` replies in a thread, with up to 4 checked files; its other followers are told in the app and
    by email."""
    thread = thread_get(viewer=actor, thread_id=thread_id)
    body = _post_checks(actor=actor, category=thread.category, body=body, files=attachments)
    return _with_files(
        attachments, lambda files: _reply_write(actor=actor, thread_id=thread.pk, body=body, files=files)
    )


@transaction.atomic(durable=True)
def _reply_write(*, actor: Any, thread_id: int, body: str, files: list[StoredFile]) -> Post:
    thread = thread_lock(thread_id=thread_id)
    if thread.is_locked:
        raise ThreadLocked()
    if thread.is_hidden:
        raise ThreadNotFound()
    post = _post_insert(actor=actor, thread=thread, body=body, is_first=False, files=files)
    thread.reply_count += 1
    thread.last_posted_at = post.created_at
    thread.save(update_fields=["reply_count", "last_posted_at"])
    _followers_tell(thread=thread, post=post)
    return post


def _followers_tell(*, thread: Thread, post: Post) -> None:
    """Tell every follower but the author of a new reply: in the app now, by email through the outbox. Inner
    helper: the caller holds the transaction."""
    url = reverse("community:post", args=[post.pk])
    author = post.author.public_name
    followers = (
        Subscription.objects.filter(thread=thread, user__is_active=True)
        .exclude(user_id=post.author_id)
        .select_related("user")
        .order_by("pk")
    )
    for subscription in followers.iterator(chunk_size=500):
        notify(
            user=subscription.user,
            kind=REPLY_KIND,
            title=f"{author} replied in “{thread.title}”"[:160],
            url=url,
        )
        outbox_enqueue(
            name=REPLY_EMAIL,
            kwargs={"post_id": post.pk, "user_id": subscription.user_id},
            dedupe_key=f"community:post:{post.pk}:email:{subscription.user_id}",
        )


@transaction.atomic(durable=True)
def post_edit(*, actor: Any, post_id: int, body: str, title: str | None = None) -> Post:
    """The author changes their post (and the title, for an opening post); the earlier text is kept as a
    revision and the post shows "edited"."""
    post_get_for_edit(viewer=actor, post_id=post_id)
    body = post_body_clean(body)
    _write_checks(actor, body=body)
    post = post_lock(post_id=post_id)
    thread = thread_lock(thread_id=post.thread_id)
    if post.is_hidden:
        raise PostNotFound()
    if thread.is_locked:
        raise ThreadLocked()
    new_title = thread_title_clean(title) if post.is_first and title is not None else thread.title
    if body == post.body and new_title == thread.title:
        return post
    PostRevision.objects.create(post=post, body=post.body, title=thread.title if post.is_first else "", edited_by=actor)
    post.body, post.body_html, post.edited_at = body, markdown_render(body), timezone.now()
    post.save(update_fields=["body", "body_html", "edited_at"])
    if post.is_first and new_title != thread.title:
        thread.title = new_title
        thread.save(update_fields=["title"])
    _search_refresh(post=post)
    return post


@dataclass(frozen=True)
class AttachmentOpening:
    attachment: Attachment
    redirect_url: str = ""  # a link bound to the member, or a storage URL signed for a short time
    local_path: str = ""  # a signed-out visitor, files on this machine's disk


def attachment_open(*, viewer: Any, attachment_id: int) -> AttachmentOpening:
    """How ``viewer`` gets one attachment of a post they may read (``AttachmentNotFound`` otherwise).

    A member gets a file link of their own (``apps.core.files``: bound to them, 10 minutes, every opening
    logged). A signed-out visitor of a public forum cannot hold such a link; the check above is their
    permission, and the file comes from this machine's disk or from a storage URL signed for
    ``FILE_PRESIGNED_SECONDS``.
    """
    attachment = attachment_get(viewer=viewer, attachment_id=attachment_id)
    if is_signed_in(viewer):
        _, url = file_link_issue(
            user=viewer,
            storage_key=attachment.storage_key,
            filename=attachment.filename,
            purpose="community.attachment",
            content_type=attachment.content_type,
            ttl=timedelta(minutes=ATTACHMENT_LINK_MINUTES),
        )
        return AttachmentOpening(attachment=attachment, redirect_url=url)
    storage = storages["default"]
    local_path = storage_local_path(storage, attachment.storage_key)
    if local_path is not None:
        return AttachmentOpening(attachment=attachment, local_path=local_path)
    # R2/S3: the storage serves the file by a presigned URL
    disposition = content_disposition_header(as_attachment=not attachment.is_image, filename=attachment.filename)
    url = storage.url(  # type: ignore[call-arg]
        attachment.storage_key,
        parameters={"ResponseContentDisposition": disposition, "ResponseContentType": attachment.content_type},
        expire=settings.FILE_PRESIGNED_SECONDS,
    )
    return AttachmentOpening(attachment=attachment, redirect_url=url)


# --- moderators: pin and lock ------------------------------------------------------------------------------


def _thread_flag_set(*, actor: Any, thread_id: int, field: str, value: bool, action: str) -> Thread:
    if not forum_moderator(actor):
        raise ThreadNotFound()
    try:
        thread = thread_lock(thread_id=thread_id)
    except Thread.DoesNotExist:
        raise ThreadNotFound()
    if getattr(thread, field) == value:
        return thread
    setattr(thread, field, value)
    thread.save(update_fields=[field])
    audit_log_record(actor=actor, action=action, target=thread, details={field: value})
    return thread


@transaction.atomic(durable=True)
def thread_pin(*, actor: Any, thread_id: int, pinned: bool) -> Thread:
    """A moderator pins a thread to the top of its forum (or unpins it)."""
    action = "community.thread_pinned" if pinned else "community.thread_unpinned"
    return _thread_flag_set(actor=actor, thread_id=thread_id, field="is_pinned", value=pinned, action=action)


@transaction.atomic(durable=True)
def thread_lock_set(*, actor: Any, thread_id: int, locked: bool) -> Thread:
    """A moderator locks a thread (no new replies or edits) or opens it again."""
    action = "community.thread_locked" if locked else "community.thread_unlocked"
    return _thread_flag_set(actor=actor, thread_id=thread_id, field="is_locked", value=locked, action=action)


# --- subscriptions -----------------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def subscription_set(*, actor: Any, thread_id: int, subscribed: bool) -> bool:
    """``actor`` follows a thread they may read, or stops; returns whether they follow it now."""
    thread = thread_get(viewer=actor, thread_id=thread_id)
    if not is_signed_in(actor):
        raise ThreadNotFound()
    if subscribed:
        Subscription.objects.get_or_create(user=actor, thread=thread)
    else:
        Subscription.objects.filter(user=actor, thread=thread).delete()
    return subscribed


def unsubscribe_token(*, user_id: int, thread_id: int) -> str:
    """The signed token of an email's unsubscribe link: it names one follower and one thread, nothing else."""
    return signing.dumps({"u": user_id, "t": thread_id}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_token_read(token: str) -> tuple[int, int]:
    """The (user id, thread id) a token names; ``InvalidUnsubscribeLink`` if it was not made here."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        return int(data["u"]), int(data["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise InvalidUnsubscribeLink()


@transaction.atomic(durable=True)
def unsubscribe_by_token(*, token: str) -> Thread | None:
    """Stop the emails of the follower and thread a signed link names (no sign-in needed: the link is the proof).
    Returns the thread, or None when it no longer exists."""
    user_id, thread_id = unsubscribe_token_read(token)
    Subscription.objects.filter(user_id=user_id, thread_id=thread_id).delete()
    return Thread.objects.filter(pk=thread_id).first()
