from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q

from .enums import CategoryPosting, CategoryVisibility


class Category(models.Model):
    """A forum made by an admin. ``visibility`` says who reads it; ``posting`` who may start threads and reply."""

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(max_length=500, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    visibility = models.CharField(max_length=10, choices=CategoryVisibility.choices, default=CategoryVisibility.PUBLIC)
    posting = models.CharField(max_length=10, choices=CategoryPosting.choices, default=CategoryPosting.MEMBERS)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"
        constraints = [
            models.CheckConstraint(
                condition=Q(visibility__in=CategoryVisibility.values), name="category_visibility_valid"
            ),
            models.CheckConstraint(condition=Q(posting__in=CategoryPosting.values), name="category_posting_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_public(self) -> bool:
        return self.visibility == CategoryVisibility.PUBLIC

    @property
    def is_readers_only(self) -> bool:
        return self.posting == CategoryPosting.READERS


class Thread(models.Model):
    """A conversation in a category. Its first post carries the opening text; the title is searched with it.

    ``hidden_at`` follows the first post: a moderator hiding the opening post takes the thread off the lists.
    ``reply_count`` and ``last_posted_at`` are kept by the posting services (the lists read them, not the posts).
    """

    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="threads")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="forum_threads")
    title = models.CharField(max_length=150)
    is_pinned = models.BooleanField(default=False)
    is_locked = models.BooleanField(default=False)
    reply_count = models.PositiveIntegerField(default=0)
    last_posted_at = models.DateTimeField()
    hidden_at = models.DateTimeField(null=True, blank=True)
    search_vector = SearchVectorField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_pinned", "-last_posted_at", "-id"]
        indexes = [
            models.Index(fields=["category", "-is_pinned", "-last_posted_at"], name="thread_category_list_idx"),
            GinIndex(fields=["search_vector"], name="thread_search_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class Post(models.Model):
    """One post of a thread: the opening post (``is_first``) or a reply. ``body`` is the author's Markdown;
    ``body_html`` its sanitised rendering, made once when the text is written."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="forum_posts")
    is_first = models.BooleanField(default=False)
    body = models.TextField(max_length=20_000)
    body_html = models.TextField()
    edited_at = models.DateTimeField(null=True, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_reason = models.CharField(max_length=200, blank=True)
    # A moderator's delete: the post stays for the audit, hidden (``hidden_at`` is set too) and shown as removed.
    deleted_at = models.DateTimeField(null=True, blank=True)
    search_vector = SearchVectorField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["thread"], condition=Q(is_first=True), name="post_one_first_per_thread"),
            models.CheckConstraint(
                condition=Q(deleted_at__isnull=True) | Q(hidden_at__isnull=False), name="post_deleted_is_hidden"
            ),
        ]
        indexes = [
            models.Index(fields=["thread", "id"], name="post_thread_order_idx"),
            GinIndex(fields=["search_vector"], name="post_search_idx"),
        ]

    def __str__(self) -> str:
        return f"Post {self.pk} in thread {self.thread_id}"

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_edited(self) -> bool:
        return self.edited_at is not None


class PostRevision(models.Model):
    """The text a post had before one edit (and the thread's title, for an opening post)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField(max_length=20_000)
    title = models.CharField(max_length=150, blank=True)
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Revision {self.pk} of post {self.post_id}"


class Attachment(models.Model):
    """A checked file of a post (an image re-encoded without metadata, or a PDF), kept in private storage."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="attachments")
    storage_key = models.CharField(max_length=300, unique=True)
    filename = models.CharField(max_length=150)
    content_type = models.CharField(max_length=60)
    size_bytes = models.PositiveIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class Subscription(models.Model):
    """``user`` follows ``thread``: told in-app and by email of each reply (until they unsubscribe)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_subscriptions")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="subscriptions")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "thread"], name="subscription_once_per_thread")]

    def __str__(self) -> str:
        return f"{self.user_id} follows thread {self.thread_id}"
