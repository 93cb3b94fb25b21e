"""The forums in the Django admin, all read-only.

Forums are made and edited on the staff forum pages; threads, posts and their revisions and attachments are written
by their authors through the community services and hidden, locked or pinned through moderation, each audited.
"""

from django.contrib import admin

from apps.core.admin import ReadOnlyAdmin, user_email_column

from .models import Attachment, Category, Post, PostRevision, Thread

author_email = user_email_column("author", "Author")


@admin.register(Category)
class CategoryAdmin(ReadOnlyAdmin):
    """Read-only: edited on the staff forum pages."""

    list_display = ("name", "slug", "position", "visibility", "posting", "created_at")
    list_filter = ("visibility", "posting")
    search_fields = ("name", "slug", "description")
    date_hierarchy = "created_at"


@admin.register(Thread)
class ThreadAdmin(ReadOnlyAdmin):
    """Read-only: written by members, pinned, locked and hidden through moderation."""

    list_display = (
        "title",
        "category",
        author_email,
        "reply_count",
        "is_pinned",
        "is_locked",
        "hidden_at",
        "last_posted_at",
        "created_at",
    )
    list_filter = ("is_pinned", "is_locked", ("hidden_at", admin.EmptyFieldListFilter), "category")
    search_fields = ("id__exact", "title", "author__email")
    date_hierarchy = "created_at"
    list_select_related = ("category", "author")
    exclude = ("search_vector",)


@admin.register(Post)
class PostAdmin(ReadOnlyAdmin):
    """Read-only: written and edited by their authors (each edit keeps a revision), hidden through moderation."""

    list_display = ("__str__", "thread", author_email, "is_first", "edited_at", "hidden_at", "deleted_at", "created_at")
    list_filter = ("is_first", ("hidden_at", admin.EmptyFieldListFilter), ("deleted_at", admin.EmptyFieldListFilter))
    search_fields = ("thread__id__exact", "thread__title", "author__email", "body")
    date_hierarchy = "created_at"
    list_select_related = ("thread", "author")
    exclude = ("search_vector", "body_html")


@admin.register(PostRevision)
class PostRevisionAdmin(ReadOnlyAdmin):
    """Read-only: the text of a post before each edit."""

    list_display = ("__str__", "post", user_email_column("edited_by", "Edited by"), "title", "created_at")
    search_fields = ("post__id__exact", "edited_by__email", "title", "body")
    date_hierarchy = "created_at"
    list_select_related = ("post", "edited_by")


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    """Read-only: uploaded with a post by its author."""

    list_display = ("filename", "post", "content_type", "size_bytes", "width", "height", "created_at")
    list_filter = ("content_type",)
    search_fields = ("filename", "storage_key", "post__id__exact")
    date_hierarchy = "created_at"
    list_select_related = ("post",)
