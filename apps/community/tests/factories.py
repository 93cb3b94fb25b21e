"""Helpers of the forum tests: forums made by a real admin, threads and replies through the services."""

import itertools
from typing import Any

from django.core.cache import cache
from django.utils import timezone

from apps.accounts.tests.factories import AdminFactory, UserFactory
from apps.community.markdown import markdown_render
from apps.community.models import Category, Post, Thread
from apps.community.services import category_create, post_reply, thread_create

_names = itertools.count(1)


def forum(*, visibility: str = "public", posting: str = "members", name: str = "") -> Category:
    return category_create(
        actor=AdminFactory(),
        name=name or f"Forum {next(_names)}",
        description="Questions and answers about the cards.",
        visibility=visibility,
        posting=posting,
    )


def thread_by(author: Any = None, *, category: Category | None = None, title: str = "", body: str = "") -> Thread:
    category = category or forum()
    return thread_create(
        actor=author or UserFactory(),
        category_slug=category.slug,
        title=title or f"Thread {next(_names)}",
        body=body or "What does the Tower mean in a love reading?",
    )


def reply_by(author: Any, thread: Thread, body: str = "It means change.") -> Post:
    cache.clear()  # each reply through the service; the posting rate limit is tested on its own
    return post_reply(actor=author, thread_id=thread.pk, body=body)


def established_member(**fields: Any) -> Any:
    """A member past the NEW trust level by the site's own rule: an account over a day old with a visible forum
    post (so they may post links and attach files)."""
    from datetime import timedelta

    user = UserFactory(date_joined=timezone.now() - timedelta(days=2), **fields)
    category = Category.objects.order_by("pk").first() or forum(name=f"Forum {next(_names)}")
    thread = Thread.objects.create(category=category, author=user, title="Hello", last_posted_at=timezone.now())
    Post.objects.create(thread=thread, author=user, is_first=True, body="Hello", body_html="<p>Hello</p>")
    return user


def posts_written(thread: Thread, count: int, author: Any = None) -> list[Post]:
    """``count`` replies written straight into the table (a long thread, quickly), with the thread's counters."""
    author = author or UserFactory()
    posts = Post.objects.bulk_create(
        Post(thread=thread, author=author, body=f"Reply {n}", body_html=markdown_render(f"Reply {n}"))
        for n in range(count)
    )
    Thread.objects.filter(pk=thread.pk).update(reply_count=thread.reply_count + count, last_posted_at=timezone.now())
    return posts
