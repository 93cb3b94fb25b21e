"""Side effects of the forums that must not be lost, run by the outbox after commit (imported by
CommunityConfig)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from apps.core.emails import email_send, site_link
from apps.core.outbox import outbox_handler

from .models import Post, Subscription
from .services import REPLY_EMAIL, unsubscribe_token


@outbox_handler(REPLY_EMAIL)
def reply_email_send(*, post_id: int, user_id: int) -> bool:
    """Email one follower about one reply, if they still follow the thread and the reply is still shown.
    Returns whether an email left. The email carries a signed link that stops the thread's emails."""
    post = Post.objects.select_related("thread", "author").filter(pk=post_id, hidden_at__isnull=True).first()
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if post is None or user is None or post.thread.is_hidden:
        return False
    if not Subscription.objects.filter(user=user, thread_id=post.thread_id).exists():
        return False
    thread = post.thread
    email_send(
        to=[user.email],
        subject=f"[{settings.SITE_NAME}] {post.author.public_name} replied in “{thread.title}”",
        template="community/email/reply",
        context={
            "post": post,
            "thread": thread,
            "action_url": site_link(reverse("community:post", args=[post.pk])),
            "action_label": "Read the reply",
            "unsubscribe_url": site_link(
                reverse("community:unsubscribe", args=[unsubscribe_token(user_id=user.pk, thread_id=thread.pk)])
            ),
        },
    )
    return True
