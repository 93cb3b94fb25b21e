"""Replies racing each other and a moderator's lock, each on its own database connection."""

import pytest

from apps.accounts.tests.factories import AdminFactory, UserFactory
from apps.community.exceptions import ThreadLocked
from apps.community.models import Post, Thread
from apps.community.services import post_reply, thread_lock_set
from apps.community.tests.factories import thread_by
from tests.support.racing import race, race_all_succeed

pytestmark = pytest.mark.django_db(transaction=True)


def test_post_reply_racing_replies_all_counted():
    # given
    thread = thread_by()
    members = [UserFactory() for _ in range(4)]
    # when
    race_all_succeed(*(lambda m=m: post_reply(actor=m, thread_id=thread.pk, body="At once") for m in members))
    # then
    thread.refresh_from_db()
    assert thread.reply_count == 4 == Post.objects.filter(thread=thread, is_first=False).count()


def test_post_reply_racing_a_lock_either_lands_before_it_or_is_refused():
    # given
    thread = thread_by()
    member, moderator = UserFactory(), AdminFactory()
    # when
    reply, _ = race(
        lambda: post_reply(actor=member, thread_id=thread.pk, body="Just in time?"),
        lambda: thread_lock_set(actor=moderator, thread_id=thread.pk, locked=True),
    )
    # then: the thread is locked and its counter matches its replies, whichever came first
    thread = Thread.objects.get(pk=thread.pk)
    replies = Post.objects.filter(thread=thread, is_first=False).count()
    assert thread.is_locked and thread.reply_count == replies
    assert (isinstance(reply, Post) and replies == 1) or (isinstance(reply, ThreadLocked) and replies == 0)
