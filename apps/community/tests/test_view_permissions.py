"""Who may open which forum object through the pages: a members-only forum is "not found" for anyone signed
out, a readers-only forum refuses a client's new thread before and after the form, and an unsubscribe link only
works as it was signed: for the follower and thread it names, nobody else."""

import pytest
from django.core import signing
from django.urls import reverse

from apps.accounts.tests.factories import AdminFactory, ReaderFactory, UserFactory
from apps.community.models import Post, Subscription, Thread
from apps.community.services import UNSUBSCRIBE_SALT, subscription_set, unsubscribe_token
from apps.community.tests.factories import forum, thread_by
from apps.moderation.services import content_hide

pytestmark = pytest.mark.django_db


# --- a members-only forum's page ---------------------------------------------------------------------------


def test_members_only_forum_page_is_404_for_a_visitor_like_a_forum_that_does_not_exist(client):
    # given
    category = forum(visibility="members", name="Inner circle")
    thread_by(category=category, title="Members talk")
    # when
    hidden = client.get(reverse("community:category", args=[category.slug]))
    missing = client.get(reverse("community:category", args=["no-such-forum"]))
    # then: the same answer as for a forum that does not exist, and nothing of it shown
    assert hidden.status_code == missing.status_code == 404
    html = hidden.content.decode()
    assert "Inner circle" not in html and "Members talk" not in html
    assert "That forum does not exist." in html and "That forum does not exist." in missing.content.decode()


def test_members_only_forum_page_is_404_for_a_session_whose_account_was_closed(client):
    # given: a member signed in, then their account is deactivated
    category = forum(visibility="members")
    thread_by(category=category, title="Members talk")
    member = UserFactory()
    client.force_login(member)
    assert client.get(reverse("community:category", args=[category.slug])).status_code == 200
    type(member).objects.filter(pk=member.pk).update(is_active=False)
    # when
    response = client.get(reverse("community:category", args=[category.slug]))
    # then
    assert response.status_code == 404
    assert "Members talk" not in response.content.decode()


def test_members_only_forum_page_lists_its_threads_to_a_member_and_no_others(client):
    # given: two threads of the forum, one of another forum, and another member's thread a moderator hid
    category = forum(visibility="members", name="Inner circle")
    thread_by(category=category, title="Full moon ritual")
    thread_by(category=category, title="Reading the Tower")
    thread_by(category=forum(), title="Elsewhere entirely")
    hidden = thread_by(category=category, title="Potions for sale")
    content_hide(actor=AdminFactory(), type_key="community.post", object_id=hidden.posts.get().pk, reason="Spam")
    client.force_login(UserFactory())
    # when
    response = client.get(reverse("community:category", args=[category.slug]))
    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert "Inner circle" in html and "Full moon ritual" in html and "Reading the Tower" in html
    assert "Elsewhere entirely" not in html and "Potions for sale" not in html
    assert [thread.title for thread in response.context["page"].object_list] == [
        "Reading the Tower",
        "Full moon ritual",
    ]


# --- a new thread in a readers-only forum ------------------------------------------------------------------


def test_client_may_not_open_the_new_thread_form_of_a_readers_only_forum(client):
    # given
    category = forum(posting="readers")
    client.force_login(UserFactory())
    # when
    response = client.get(reverse("community:thread_new", args=[category.slug]))
    # then
    assert response.status_code == 403
    html = response.content.decode()
    assert "Only readers may post in this forum." in html and "Post the thread" not in html


def test_client_posting_a_thread_in_a_readers_only_forum_is_refused_and_writes_nothing(client):
    # given
    category = forum(posting="readers")
    client_user = UserFactory()
    client.force_login(client_user)
    threads, posts, subscriptions = Thread.objects.count(), Post.objects.count(), Subscription.objects.count()
    # when
    response = client.post(
        reverse("community:thread_new", args=[category.slug]), {"title": "My question", "body": "Hello readers"}
    )
    # then
    assert response.status_code == 403
    assert "Only readers may post in this forum." in response.content.decode()
    assert (Thread.objects.count(), Post.objects.count(), Subscription.objects.count()) == (
        threads,
        posts,
        subscriptions,
    )
    assert not Thread.objects.filter(category=category).exists()
    assert not Post.objects.filter(author=client_user).exists()


def test_reader_opens_the_form_of_a_readers_only_forum_and_posts_a_thread(client):
    # given
    category = forum(posting="readers")
    reader = ReaderFactory()
    client.force_login(reader)
    url = reverse("community:thread_new", args=[category.slug])
    # when
    form = client.get(url)
    response = client.post(url, {"title": "Notes on the Major Arcana", "body": "Start with the Fool."})
    # then
    assert form.status_code == 200 and "Post the thread" in form.content.decode()
    thread = Thread.objects.get(category=category)
    assert response.status_code == 302 and response["Location"] == reverse("community:thread", args=[thread.pk])
    assert (thread.title, thread.author_id) == ("Notes on the Major Arcana", reader.pk)
    assert thread.posts.get().body == "Start with the Fool."


def test_signed_out_visitor_is_sent_to_sign_in_from_a_readers_only_forum_and_writes_nothing(client):
    # given
    category = forum(posting="readers")
    url = reverse("community:thread_new", args=[category.slug])
    # when
    shown = client.get(url)
    posted = client.post(url, {"title": "Hi", "body": "Hello"})
    # then
    assert shown.status_code == posted.status_code == 302
    assert reverse("account_login") in shown["Location"] and reverse("account_login") in posted["Location"]
    assert not Thread.objects.filter(category=category).exists()


# --- unsubscribe links -------------------------------------------------------------------------------------


def _followers():
    """A thread with two followers: its author (followed on posting) and a member who chose to follow it."""
    author, other = UserFactory(), UserFactory()
    thread = thread_by(author)
    subscription_set(actor=other, thread_id=thread.pk, subscribed=True)
    return thread, author, other


def _following(thread) -> set[int]:
    return set(Subscription.objects.filter(thread=thread).values_list("user_id", flat=True))


def _refused(client, token: str) -> None:
    url = reverse("community:unsubscribe", args=[token])
    for response in (client.get(url), client.post(url)):
        assert response.status_code == 400
        assert "This unsubscribe link is not valid." in response.content.decode()


def test_unsubscribe_with_a_forged_token_is_refused_and_changes_nothing(client):
    # given
    thread, author, other = _followers()
    forged = [
        "not-a-token",
        signing.dumps({"u": author.pk, "t": thread.pk}, salt=UNSUBSCRIBE_SALT, key="not-our-secret", compress=True),
        signing.dumps({"u": author.pk, "t": thread.pk}, compress=True),  # our key, but made for another purpose
    ]
    # when, then
    for token in forged:
        _refused(client, token)
    assert _following(thread) == {author.pk, other.pk}


def test_unsubscribe_with_a_damaged_signature_is_refused_and_changes_nothing(client):
    # given
    thread, author, other = _followers()
    token = unsubscribe_token(user_id=author.pk, thread_id=thread.pk)
    damaged = token[:-1] + ("A" if token[-1] != "A" else "B")
    # when, then
    _refused(client, damaged)
    assert _following(thread) == {author.pk, other.pk}


def test_unsubscribe_token_rewritten_to_name_another_follower_is_refused(client):
    # given: the author's link, its payload swapped for one naming the other follower (the signature kept)
    thread, author, other = _followers()
    own = unsubscribe_token(user_id=author.pk, thread_id=thread.pk)
    naming_other = unsubscribe_token(user_id=other.pk, thread_id=thread.pk)
    signature = own.partition(":")[2]
    rewritten = f"{naming_other.partition(':')[0]}:{signature}"
    assert rewritten not in (own, naming_other)
    # when the author, signed in, presses the rewritten link
    client.force_login(author)
    _refused(client, rewritten)
    # then both still follow the thread
    assert _following(thread) == {author.pk, other.pk}


def test_valid_unsubscribe_token_stops_only_the_named_follower(client):
    # given
    thread, author, other = _followers()
    other_thread = thread_by(author)
    url = reverse("community:unsubscribe", args=[unsubscribe_token(user_id=author.pk, thread_id=thread.pk)])
    # when
    response = client.post(url)
    # then
    assert response.status_code == 200
    assert _following(thread) == {other.pk}
    assert _following(other_thread) == {author.pk}
