"""Services of the forums against the real database and Redis: who may post where, edits and their history,
pin and lock, followers told of replies (in-app and by email, with a working unsubscribe link), search."""

import re

import pytest
from django.core import mail

from apps.accounts.tests.factories import AdminFactory, ReaderFactory, UserFactory
from apps.community.exceptions import (
    CategoryNotFound,
    InvalidCategory,
    InvalidPost,
    InvalidUnsubscribeLink,
    PostingNotAllowed,
    PostNotFound,
    ThreadLocked,
    ThreadNotFound,
)
from apps.community.models import Category, Post, PostRevision, Subscription, Thread
from apps.community.selectors import category_get, search_page
from apps.community.services import (
    REPLY_KIND,
    category_create,
    post_edit,
    post_reply,
    subscription_set,
    thread_create,
    thread_lock_set,
    thread_pin,
    unsubscribe_by_token,
    unsubscribe_token,
)
from apps.community.tests.factories import established_member, forum, reply_by, thread_by
from apps.core.exceptions import PermissionDeniedError, RateLimitedError
from apps.core.models import AuditLog
from apps.core.outbox import outbox_drain
from apps.moderation.services import content_hide
from apps.notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_category_create_by_a_client_is_refused():
    with pytest.raises(PermissionDeniedError):
        category_create(actor=UserFactory(), name="Tarot", visibility="public", posting="members")
    assert not Category.objects.exists()


def test_category_create_same_name_twice_is_refused_and_audited_once():
    # given
    admin = AdminFactory()
    category_create(actor=admin, name="Tarot talk", visibility="public", posting="members")
    # when / then
    with pytest.raises(InvalidCategory):
        category_create(actor=admin, name="Tarot  Talk", visibility="public", posting="members")
    assert Category.objects.get().slug == "tarot-talk"
    assert AuditLog.objects.filter(action="community.category_created").count() == 1


def test_category_create_bad_visibility_is_refused():
    with pytest.raises(InvalidCategory):
        category_create(actor=AdminFactory(), name="Tarot", visibility="secret", posting="members")


def test_thread_create_writes_opening_post_and_follows_it():
    # given
    author = UserFactory()
    # when
    thread = thread_by(author, title="  The   Tower  ", body="What does **it** mean?")
    # then
    post = Post.objects.get(thread=thread)
    assert thread.title == "The Tower"
    assert post.is_first and post.author == author
    assert "<strong>it</strong>" in post.body_html
    assert Subscription.objects.filter(user=author, thread=thread).exists()


@pytest.mark.parametrize(("title", "body"), [("", "text"), ("Title", "   "), ("x" * 151, "text"), ("T", "x" * 20_001)])
def test_thread_create_bad_input_is_refused_and_writes_nothing(title, body):
    category = forum()
    with pytest.raises(InvalidPost):
        thread_create(actor=UserFactory(), category_slug=category.slug, title=title, body=body)
    assert not Thread.objects.exists() and not Post.objects.exists()


def test_readers_only_forum_refuses_a_client_and_takes_a_reader():
    # given
    category = forum(posting="readers")
    # when / then
    with pytest.raises(PostingNotAllowed):
        thread_create(actor=UserFactory(), category_slug=category.slug, title="Hi", body="Hello")
    thread = thread_create(actor=ReaderFactory(), category_slug=category.slug, title="Hi", body="Hello")
    with pytest.raises(PostingNotAllowed):
        post_reply(actor=UserFactory(), thread_id=thread.pk, body="Me too")
    assert Post.objects.count() == 1


def test_members_only_forum_is_not_found_for_visitors():
    from django.contrib.auth.models import AnonymousUser

    category = forum(visibility="members")
    with pytest.raises(CategoryNotFound):
        category_get(viewer=AnonymousUser(), slug=category.slug)
    assert category_get(viewer=UserFactory(), slug=category.slug) == category


def test_post_reply_tells_followers_in_app_and_by_email_but_not_the_author(django_capture_on_commit_callbacks):
    # given: the thread's author follows it; a third member follows it then replies
    author, follower, replier = UserFactory(), UserFactory(), UserFactory()
    thread = thread_by(author, title="Moon water")
    subscription_set(actor=follower, thread_id=thread.pk, subscribed=True)
    # when
    post = reply_by(replier, thread, body="Leave it out overnight.")
    outbox_drain()
    # then
    thread.refresh_from_db()
    assert thread.reply_count == 1 and thread.last_posted_at == post.created_at
    told = set(Notification.objects.filter(kind=REPLY_KIND).values_list("user_id", flat=True))
    assert told == {author.pk, follower.pk}
    assert sorted(message.to[0] for message in mail.outbox) == sorted([author.email, follower.email])
    assert Subscription.objects.filter(user=replier, thread=thread).exists()  # replying follows the thread
    # and: the email's unsubscribe link works without signing in
    email = next(message for message in mail.outbox if message.to == [follower.email])
    assert "Leave it out overnight." in email.body
    token = re.search(r"/community/unsubscribe/([^/\s]+)/", email.body).group(1)
    unsubscribe_by_token(token=token)
    assert not Subscription.objects.filter(user=follower, thread=thread).exists()
    assert Subscription.objects.filter(user=author, thread=thread).exists()


def test_reply_email_not_sent_once_unsubscribed_before_delivery():
    # given
    author, replier = UserFactory(), UserFactory()
    thread = thread_by(author)
    reply_by(replier, thread)
    # when: the follower leaves before the outbox runs
    subscription_set(actor=author, thread_id=thread.pk, subscribed=False)
    outbox_drain()
    # then
    assert mail.outbox == []


def test_unsubscribe_forged_token_is_refused():
    author = UserFactory()
    thread = thread_by(author)
    forged = unsubscribe_token(user_id=author.pk, thread_id=thread.pk)[:-2] + "xx"
    with pytest.raises(InvalidUnsubscribeLink):
        unsubscribe_by_token(token=forged)
    assert Subscription.objects.filter(user=author, thread=thread).exists()


def test_post_reply_locked_thread_is_refused():
    thread = thread_by()
    thread_lock_set(actor=AdminFactory(), thread_id=thread.pk, locked=True)
    with pytest.raises(ThreadLocked):
        post_reply(actor=UserFactory(), thread_id=thread.pk, body="Late")
    assert Post.objects.filter(thread=thread).count() == 1


def test_post_reply_eleventh_in_a_minute_is_rate_limited():
    # given: an established member (over a day old, with a visible post)
    thread = thread_by()
    member = established_member()
    for n in range(10):
        post_reply(actor=member, thread_id=thread.pk, body=f"Reply {n}")
    # when / then
    with pytest.raises(RateLimitedError):
        post_reply(actor=member, thread_id=thread.pk, body="One more")
    assert Post.objects.filter(author=member, thread=thread).count() == 10


def test_post_reply_new_account_gets_the_stricter_limit():
    thread = thread_by()
    newcomer = UserFactory()
    for n in range(3):
        post_reply(actor=newcomer, thread_id=thread.pk, body=f"Reply {n}")
    with pytest.raises(RateLimitedError, match="New accounts"):
        post_reply(actor=newcomer, thread_id=thread.pk, body="A fourth")
    assert Post.objects.filter(author=newcomer).count() == 3


def test_links_refused_for_a_new_account_and_taken_from_an_established_one():
    # given
    thread = thread_by()
    body = "See [my site](https://example.com)"
    # when / then
    with pytest.raises(InvalidPost, match="cannot post links"):
        post_reply(actor=UserFactory(), thread_id=thread.pk, body=body)
    with pytest.raises(InvalidPost, match="cannot post links"):
        post_reply(actor=UserFactory(), thread_id=thread.pk, body="or www.example.com")
    post = post_reply(actor=established_member(), thread_id=thread.pk, body=body)
    assert 'href="https://example.com"' in post.body_html
    assert Post.objects.filter(thread=thread).count() == 2


def test_trust_rises_by_itself_with_a_visible_post():
    from datetime import timedelta

    from django.utils import timezone

    from apps.moderation.trust import TrustLevel, trust_level

    # given: an account over a day old without activity
    member = UserFactory(date_joined=timezone.now() - timedelta(days=2))
    assert trust_level(member) == TrustLevel.NEW
    # when it posts
    thread_by(member)
    member = type(member).objects.get(pk=member.pk)  # the level is cached per user object
    # then
    assert trust_level(member) == TrustLevel.BASIC


def test_suspended_member_cannot_start_reply_or_edit_and_nothing_changes():
    from apps.moderation.exceptions import UserSuspended
    from apps.moderation.services.suspensions import user_suspend

    # given
    member = UserFactory()
    category = forum()
    thread = thread_by(member, category=category)
    opening = thread.posts.get()
    user_suspend(moderator=AdminFactory(), user=member, reason="Spam", until=None)
    member = type(member).objects.get(pk=member.pk)  # as on the next request (the guard caches per user object)
    # when / then
    with pytest.raises(UserSuspended, match="Spam"):
        thread_create(actor=member, category_slug=category.slug, title="Again", body="Buy")
    with pytest.raises(UserSuspended):
        post_reply(actor=member, thread_id=thread.pk, body="Buy")
    with pytest.raises(UserSuspended):
        post_edit(actor=member, post_id=opening.pk, body="Buy")
    assert Post.objects.filter(author=member).count() == 1 and not PostRevision.objects.exists()


def test_post_edit_keeps_the_earlier_text_and_title():
    # given
    author = UserFactory()
    thread = thread_by(author, title="Old title", body="Old text")
    post = Post.objects.get(thread=thread)
    # when
    post_edit(actor=author, post_id=post.pk, body="New text", title="New title")
    # then
    post.refresh_from_db()
    thread.refresh_from_db()
    assert post.body == "New text" and post.is_edited and thread.title == "New title"
    revision = PostRevision.objects.get(post=post)
    assert (revision.body, revision.title, revision.edited_by) == ("Old text", "Old title", author)


def test_post_edit_someone_elses_post_is_not_found():
    thread = thread_by()
    post = Post.objects.get(thread=thread)
    with pytest.raises(PostNotFound):
        post_edit(actor=UserFactory(), post_id=post.pk, body="Mine now")
    post.refresh_from_db()
    assert post.body != "Mine now" and not PostRevision.objects.exists()


def test_post_edit_in_a_locked_thread_is_refused():
    author = UserFactory()
    thread = thread_by(author)
    thread_lock_set(actor=AdminFactory(), thread_id=thread.pk, locked=True)
    with pytest.raises(ThreadLocked):
        post_edit(actor=author, post_id=Post.objects.get(thread=thread).pk, body="Changed")
    assert not PostRevision.objects.exists()


def test_thread_pin_by_a_member_is_not_found_and_by_a_moderator_is_audited():
    thread = thread_by()
    with pytest.raises(ThreadNotFound):
        thread_pin(actor=UserFactory(), thread_id=thread.pk, pinned=True)
    admin = AdminFactory()
    assert thread_pin(actor=admin, thread_id=thread.pk, pinned=True).is_pinned
    assert AuditLog.objects.filter(action="community.thread_pinned", actor=admin).count() == 1


def test_hiding_the_opening_post_hides_the_thread_for_everyone_but_author_and_moderators():
    # given
    author, reader = UserFactory(), UserFactory()
    thread = thread_by(author)
    post = Post.objects.get(thread=thread)
    # when
    content_hide(actor=AdminFactory(), type_key="community.post", object_id=post.pk, reason="Spam")
    # then
    from apps.community.selectors import thread_get

    with pytest.raises(ThreadNotFound):
        thread_get(viewer=reader, thread_id=thread.pk)
    assert thread_get(viewer=author, thread_id=thread.pk).is_hidden
    with pytest.raises(ThreadNotFound):
        post_reply(actor=author, thread_id=thread.pk, body="Still here?")


def test_search_finds_titles_and_bodies_in_readable_forums_only():
    from django.contrib.auth.models import AnonymousUser

    # given
    public, members = forum(), forum(visibility="members")
    by_title = thread_by(category=public, title="Amethyst cleansing", body="How often?")
    by_body = reply_by(UserFactory(), thread_by(category=public, title="Crystals"), body="I cleanse amethysts monthly")
    thread_by(category=members, title="Amethyst for members", body="Secret")
    hidden = thread_by(category=public, title="Amethyst spam", body="Buy now")
    content_hide(actor=AdminFactory(), type_key="community.post", object_id=hidden.posts.get().pk, reason="Spam")
    # when
    found = {post.pk for post in search_page(viewer=AnonymousUser(), query="amethyst", page_number=1)}
    found_member = {post.pk for post in search_page(viewer=UserFactory(), query="amethyst", page_number=1)}
    # then
    assert found == {by_title.posts.get(is_first=True).pk, by_body.pk}
    assert len(found_member) == 3


def test_post_delete_keeps_the_row_hidden_and_unhide_restores_it():
    from apps.community.moderation import post_delete, post_unhide

    # given
    thread = thread_by()
    reply = reply_by(UserFactory(), thread, body="Rude words")
    # when
    assert post_delete(obj=reply, actor=AdminFactory(), reason="Abuse")
    # then
    reply.refresh_from_db()
    assert reply.is_deleted and reply.is_hidden and reply.body == "Rude words"
    assert not post_delete(obj=reply, actor=AdminFactory(), reason="Again")
    assert post_unhide(obj=reply, actor=AdminFactory())
    reply.refresh_from_db()
    assert not reply.is_deleted and not reply.is_hidden
