"""Row locks of the community app. Callers hold the transaction."""

from .models import Post, Thread


def thread_lock(*, thread_id: int) -> Thread:
    """Lock and return one thread (raises Thread.DoesNotExist)."""
    return Thread.objects.select_for_update(of=("self",)).get(pk=thread_id)


def post_lock(*, post_id: int) -> Post:
    """Lock and return one post (raises Post.DoesNotExist)."""
    return Post.objects.select_for_update(of=("self",)).get(pk=post_id)
