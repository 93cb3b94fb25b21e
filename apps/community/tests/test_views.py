"""Forum pages: visitors read public forums, the thread page runs a fixed number of queries, permalinks land
on the right page, quoting fills the reply box, flagged and hidden posts say so, and bad input changes nothing."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.accounts.tests.factories import AdminFactory, UserFactory
from apps.community.constants import POSTS_PER_PAGE
from apps.community.models import Post, PostRevision, Thread
from apps.community.tests.factories import forum, posts_written, reply_by, thread_by
from apps.moderation.services import content_hide, report_create

pytestmark = pytest.mark.django_db


def test_home_lists_public_forums_to_visitors_and_all_to_members(client):
    # given
    public, members = forum(name="Open circle"), forum(name="Inner circle", visibility="members")
    # when
    anonymous = client.get(reverse("community:home")).content.decode()
    client.force_login(UserFactory())
    member = client.get(reverse("community:home")).content.decode()
    # then
    assert public.name in anonymous and members.name not in anonymous
    assert public.name in member and members.name in member


def test_home_without_forums_shows_an_empty_state(client):
    assert "No forums yet" in client.get(reverse("community:home")).content.decode()


def test_members_only_thread_sends_visitors_to_404_and_members_read_it(client):
    thread = thread_by(category=forum(visibility="members"), title="Members talk")
    assert client.get(reverse("community:thread", args=[thread.pk])).status_code == 404
    client.force_login(UserFactory())
    assert "Members talk" in client.get(reverse("community:thread", args=[thread.pk])).content.decode()


def test_thread_page_escapes_title_and_renders_markdown(client):
    thread = thread_by(title="<script>alert(1)</script>", body="**strong** <img src=x onerror=alert(1)>")
    html = client.get(reverse("community:thread", args=[thread.pk])).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<strong>strong</strong>" in html and "<img src=x" not in html


def _queries(client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_thread_page_queries_do_not_grow_with_posts(client):
    # given: a short thread and a full page of a long one, each post by a different member, one reported
    few, many = thread_by(), thread_by()
    posts_written(few, 1)
    for _ in range(POSTS_PER_PAGE - 1):
        posts_written(many, 1, author=UserFactory())
    reporter = UserFactory()
    report_create(reporter=reporter, type_key="community.post", object_id=many.posts.last().pk, reason="spam")
    client.force_login(UserFactory())
    # when
    few_count = _queries(client, reverse("community:thread", args=[few.pk]))
    many_count = _queries(client, reverse("community:thread", args=[many.pk]))
    # then
    assert many_count == few_count


def test_thread_page_query_count_is_bounded(client, django_assert_max_num_queries):
    thread = thread_by()
    posts_written(thread, POSTS_PER_PAGE * 2)
    client.force_login(UserFactory())
    client.get(reverse("community:thread", args=[thread.pk]))
    with django_assert_max_num_queries(14):
        assert client.get(reverse("community:thread", args=[thread.pk]) + "?page=2").status_code == 200


def test_category_page_queries_do_not_grow_with_threads(client):
    small, big = forum(), forum()
    thread_by(category=small)
    for _ in range(8):
        thread_by(UserFactory(), category=big)
    assert _queries(client, reverse("community:category", args=[big.slug])) == _queries(
        client, reverse("community:category", args=[small.slug])
    )


def test_post_permalink_redirects_to_its_page_and_anchor(client):
    # given: the post is the 25th of the thread (page 2)
    thread = thread_by()
    posts = posts_written(thread, POSTS_PER_PAGE + 5)
    target = posts[POSTS_PER_PAGE + 3]
    # when
    response = client.get(reverse("community:post", args=[target.pk]))
    # then
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('community:thread', args=[thread.pk])}?page=2#post-{target.pk}"
    page = client.get(response["Location"]).content.decode()
    assert f'id="post-{target.pk}"' in page


def test_quote_fills_the_reply_box_with_an_attributed_blockquote(client):
    # given
    author = UserFactory(display_name="Luna")
    thread = thread_by(author, body="Trust the first card.")
    post = thread.posts.get()
    client.force_login(UserFactory())
    # when
    html = client.get(reverse("community:thread", args=[thread.pk]) + f"?quote={post.pk}").content.decode()
    # then
    assert f"[Luna wrote]({reverse('community:post', args=[post.pk])}):" in html
    assert "&gt; Trust the first card." in html


def test_reply_posts_and_redirects_to_the_new_post(client):
    thread = thread_by()
    client.force_login(UserFactory())
    response = client.post(reverse("community:reply", args=[thread.pk]), {"body": "Thank you."})
    post = Post.objects.get(thread=thread, is_first=False)
    assert response.status_code == 302 and response["Location"].endswith(f"#post-{post.pk}")


def test_reply_empty_is_refused_and_changes_nothing(client):
    thread = thread_by()
    client.force_login(UserFactory())
    response = client.post(reverse("community:reply", args=[thread.pk]), {"body": "   "})
    assert response.status_code == 400
    assert Post.objects.filter(thread=thread).count() == 1
    assert Thread.objects.get(pk=thread.pk).reply_count == 0


def test_edit_shows_edited_and_history_keeps_the_old_text(client):
    # given
    author = UserFactory()
    thread = thread_by(author, body="First words")
    post = thread.posts.get()
    client.force_login(author)
    # when
    client.post(reverse("community:post_edit", args=[post.pk]), {"title": thread.title, "body": "Second words"})
    # then
    page = client.get(reverse("community:thread", args=[thread.pk])).content.decode()
    assert "Second words" in page and "edited" in page
    history = client.get(reverse("community:post_history", args=[post.pk])).content.decode()
    assert "First words" in history and "Second words" in history
    assert PostRevision.objects.filter(post=post).count() == 1


def test_edit_someone_elses_post_is_404(client):
    post = thread_by().posts.get()
    client.force_login(UserFactory())
    assert client.get(reverse("community:post_edit", args=[post.pk])).status_code == 404
    assert client.post(reverse("community:post_edit", args=[post.pk]), {"body": "x", "title": "y"}).status_code == 404


def test_reported_post_shows_a_warning(client):
    thread = thread_by()
    reply = reply_by(UserFactory(), thread, body="Suspicious offer")
    report_create(reporter=UserFactory(), type_key="community.post", object_id=reply.pk, reason="spam")
    html = client.get(reverse("community:thread", args=[thread.pk])).content.decode()
    assert 'data-testid="post-flagged"' in html


def test_hidden_reply_shows_a_placeholder_to_others_and_the_reason_to_its_author(client):
    # given
    author = UserFactory()
    thread = thread_by()
    reply = reply_by(author, thread, body="Buy my potions")
    content_hide(actor=AdminFactory(), type_key="community.post", object_id=reply.pk, reason="Advertising")
    # when
    visitor = client.get(reverse("community:thread", args=[thread.pk])).content.decode()
    client.force_login(author)
    own = client.get(reverse("community:thread", args=[thread.pk])).content.decode()
    # then
    assert "Buy my potions" not in visitor and 'data-testid="post-hidden"' in visitor
    assert "Buy my potions" in own and "Advertising" in own
    assert client.logout() is None
    assert client.get(reverse("community:post_history", args=[reply.pk])).status_code == 404


def test_pin_by_admin_puts_the_thread_first(client):
    category = forum()
    older = thread_by(category=category, title="Older thread")
    thread_by(UserFactory(), category=category, title="Newer thread")
    admin = AdminFactory()
    client.force_login(admin)
    client.post(reverse("community:moderate", args=[older.pk]), {"action": "pin"})
    html = client.get(reverse("community:category", args=[category.slug])).content.decode()
    assert html.index("Older thread") < html.index("Newer thread")


def test_unsubscribe_get_changes_nothing_and_post_unsubscribes(client):
    from apps.community.models import Subscription
    from apps.community.services import unsubscribe_token

    author = UserFactory()
    thread = thread_by(author)
    url = reverse("community:unsubscribe", args=[unsubscribe_token(user_id=author.pk, thread_id=thread.pk)])
    assert client.get(url).status_code == 200
    assert Subscription.objects.filter(user=author, thread=thread).exists()
    assert client.post(url).status_code == 200
    assert not Subscription.objects.filter(user=author, thread=thread).exists()
    assert client.get(reverse("community:unsubscribe", args=["not-a-token"])).status_code == 400


def test_search_page_finds_and_escapes(client):
    thread_by(title="Rose quartz <b>love</b>", body="Rose quartz for the heart")
    html = client.get(reverse("community:search") + "?q=quartz").content.decode()
    assert "1 post found" in html and "&lt;b&gt;love&lt;/b&gt;" in html


def test_staff_opens_a_forum_and_bad_input_changes_nothing(admin_client):
    from apps.community.models import Category

    url = reverse("staff_community:categories")
    bad = admin_client.post(url, {"name": "", "position": 0, "visibility": "public", "posting": "members"})
    assert bad.status_code == 400 and not Category.objects.exists()
    fields = {"name": "Tarot", "position": 1, "visibility": "members", "posting": "readers"}
    assert admin_client.post(url, fields).status_code == 302
    category = Category.objects.get()
    assert (category.slug, category.is_public, category.is_readers_only) == ("tarot", False, True)
    edit = reverse("staff_community:category_edit", args=[category.pk])
    assert admin_client.post(edit, {**fields, "name": "Tarot talk"}).status_code == 302
    assert Category.objects.get().slug == "tarot-talk"


def test_staff_forum_name_taken_refused_above_the_form_and_saves_are_announced(admin_client):
    from apps.community.models import Category
    from apps.core.models import AuditLog

    # given: two forums, opened through the page
    url = reverse("staff_community:categories")
    fields = {"name": "Tarot", "position": 1, "visibility": "public", "posting": "members"}
    opened = admin_client.post(url, fields, follow=True)
    admin_client.post(url, {**fields, "name": "Runes"})
    runes = Category.objects.get(name="Runes")
    audit_rows = AuditLog.objects.count()
    # when: a third forum, and a change of the second, each under the name of the first
    created = admin_client.post(url, {**fields, "position": 2})
    edited = admin_client.post(reverse("staff_community:category_edit", args=[runes.pk]), fields)
    saved = admin_client.post(reverse("staff_community:category_edit", args=[runes.pk]), {**fields, "name": "Runes"})
    # then: the service's refusal shows above the form with 400, and nothing is written or audited
    assert "The forum Tarot is open." in opened.content.decode()
    for refused in (created, edited):
        assert refused.status_code == 400
        assert "A forum with this name already exists." in refused.content.decode()
    assert sorted(Category.objects.values_list("name", flat=True)) == ["Runes", "Tarot"]
    assert AuditLog.objects.count() == audit_rows + 1  # the one save that went through
    assert saved.status_code == 302 and saved["Location"] == url
    assert "Forum saved." in admin_client.get(url).content.decode()


def test_dashboard_lists_followed_threads(client):
    member = UserFactory()
    thread_by(member, title="My question about runes")
    thread_by(title="Someone else's thread")
    client.force_login(member)
    html = client.get(reverse("dashboards:client")).content.decode()
    assert "Threads you follow" in html and "My question about runes" in html
    assert "Someone else&#x27;s thread" not in html and "Someone else's thread" not in html


def test_suspended_member_reply_and_new_thread_answer_403_with_the_reason(client):
    from apps.moderation.services.suspensions import user_suspend

    # given
    member = UserFactory()
    thread = thread_by()
    user_suspend(moderator=AdminFactory(), user=member, reason="Spamming the forums", until=None)
    client.force_login(member)
    # when
    reply = client.post(reverse("community:reply", args=[thread.pk]), {"body": "Hello"})
    new = client.post(reverse("community:thread_new", args=[thread.category.slug]), {"title": "Hi", "body": "Hello"})
    # then
    assert reply.status_code == new.status_code == 403
    assert "Spamming the forums" in reply.content.decode()
    assert Thread.objects.count() == 1 and Post.objects.count() == 1


def test_suspended_member_is_not_offered_the_new_thread_form_and_is_told_why(client):
    from apps.moderation.services.suspensions import user_suspend

    # given
    member = UserFactory()
    forum = thread_by().category
    client.force_login(member)
    assert "Start a thread" in client.get(reverse("community:category", args=[forum.slug])).content.decode()
    user_suspend(moderator=AdminFactory(), user=member, reason="Spamming the forums", until=None)
    # when
    listing = client.get(reverse("community:category", args=[forum.slug]))
    form = client.get(reverse("community:thread_new", args=[forum.slug]))
    # then the forum says why there is no button, and the form's address refuses with the reason
    assert listing.status_code == 200
    assert "Start a thread" not in listing.content.decode()
    assert 'data-testid="post-suspended"' in listing.content.decode()
    assert form.status_code == 403
    assert "Spamming the forums" in form.content.decode() and "Post the thread" not in form.content.decode()


def test_moderate_by_a_granted_moderator_locks_and_a_member_gets_404(client):
    from apps.moderation.services import moderator_grant

    # given
    thread = thread_by()
    moderator = UserFactory()
    moderator_grant(actor=AdminFactory(), user=moderator)
    url = reverse("community:moderate", args=[thread.pk])
    # when a member tries, then the moderator
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404 and client.post(url, {"action": "lock"}).status_code == 404
    client.force_login(moderator)
    assert client.get(url).status_code == 200
    assert client.post(url, {"action": "lock"}).status_code == 302
    # then
    assert Thread.objects.get(pk=thread.pk).is_locked
    assert client.post(url, {"action": "explode"}).status_code == 302  # refused, flashed, nothing changed
    assert Thread.objects.get(pk=thread.pk).is_locked
