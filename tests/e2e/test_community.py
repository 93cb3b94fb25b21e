"""The forums in a real browser: hostile Markdown, titles and quotes render inert (no dialog opens, no script
element or event handler reaches the page); forum pages are axe-core clean on a phone-width and a desktop
screen; the journey of a member posting a thread, three others reporting it, the post hidden, and a moderator
deciding."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from apps.accounts.tests.factories import UserFactory
from apps.community.models import Post, Thread
from apps.community.services import post_reply
from apps.community.tests.factories import established_member, forum, thread_by
from apps.core.models import AuditLog
from tests.e2e.conftest import assert_axe_clean, sign_in_with_session

PAYLOADS = [
    "<script>alert('body-script')</script>",
    "<img src=x onerror=\"alert('body-img')\">",
    "[click me](javascript:alert('body-link'))",
    "<svg onload=\"alert('body-svg')\"></svg>",
    "<a href=\"javascript:alert('raw-link')\">raw</a>",
    "<iframe src=\"javascript:alert('frame')\"></iframe>",
]
CLEAN_PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
)
TITLE = "<img src=x onerror=\"alert('title')\"><script>alert('title-script')</script>"


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 40), (200, 120, 160)).save(out, format="PNG")
    return out.getvalue()


def _inert(page) -> None:
    """No script element, event handler attribute, iframe or javascript: link inside the page's main area."""
    found = page.evaluate(
        """() => {
          const main = document.querySelector('main');
          const handlers = [...main.querySelectorAll('*')].filter(
            (el) => [...el.attributes].some((a) => a.name.startsWith('on')));
          return {
            scripts: main.querySelectorAll('script').length,
            handlers: handlers.length,
            frames: main.querySelectorAll('iframe, object, embed, svg').length,
            jsLinks: [...main.querySelectorAll('a[href]')].filter(
              (a) => a.href.trim().toLowerCase().startsWith('javascript:')).length,
            flagged: window.__xss === true,
          };
        }"""
    )
    assert found == {"scripts": 0, "handlers": 0, "frames": 0, "jsLinks": 0, "flagged": False}


@pytest.mark.django_db(transaction=True)
def test_xss_in_titles_posts_quotes_and_file_names_is_inert(live_server, new_page, settings, tmp_path):
    # given a thread whose title, posts and file names are hostile, and a member signed in in the browser
    settings.MEDIA_ROOT = tmp_path
    base = live_server.url
    author = established_member(display_name="<b onmouseover=alert('name')>Eve</b>")
    member = established_member()
    thread = thread_by(author, title=TITLE, body="\n\n".join(PAYLOADS))
    files = [
        SimpleUploadedFile("\"><img src=x onerror=alert('file')>.png", _png(), content_type="image/png"),
        SimpleUploadedFile("<script>alert('pdf')</script>.pdf", CLEAN_PDF, content_type="application/pdf"),
    ]
    post_reply(actor=author, thread_id=thread.pk, body=PAYLOADS[1], attachments=files)
    page = new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in_with_session(page, base, member)

    # when the member reads the thread, quotes the hostile post and sends the reply
    page.goto(base + reverse("community:thread", args=[thread.pk]))
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_role("list", name="Attached files").get_by_role("img")).to_be_visible()
    # the picture loads (through the member's own short-lived link)
    page.wait_for_function("() => document.querySelector('.forum-image').naturalWidth === 60")
    _inert(page)
    opening = Post.objects.get(thread=thread, is_first=True)
    page.locator(f"#post-{opening.pk}").get_by_role("link", name=re.compile("^Quote")).click()
    expect(page.get_by_label("Your reply")).to_contain_text("<script>alert('body-script')</script>")
    page.get_by_role("button", name="Post the reply").click()
    page.wait_for_url(re.compile(r".*#post-\d+$"))

    # then the quoted payloads show as text, and nothing ran anywhere
    expect(page.locator("main blockquote").first).to_contain_text("<script>alert('body-script')</script>")
    _inert(page)
    for url in (
        reverse("community:home"),
        reverse("community:category", args=[thread.category.slug]),
        reverse("community:search") + "?q=alert",
    ):
        page.goto(base + url)
        _inert(page)
    assert dialogs == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1280, "height": 900}])
def test_forum_pages_are_axe_clean(live_server, new_page, viewport):
    # given a forum with a thread that has a reply, a pinned badge and an edit
    base = live_server.url
    category = forum(name="Tarot talk")
    member = UserFactory()
    thread = thread_by(member, category=category, title="The Star in a reading", body="**Hope**, renewal.")
    post_reply(actor=UserFactory(), thread_id=thread.pk, body="> Hope\n\nYes, and healing.")
    page = new_page(viewport=viewport)
    sign_in_with_session(page, base, member)
    # when / then
    for url in (
        reverse("community:home"),
        reverse("community:category", args=[category.slug]),
        reverse("community:thread", args=[thread.pk]),
        reverse("community:thread_new", args=[category.slug]),
        reverse("community:post_edit", args=[thread.posts.get(is_first=True).pk]),
        reverse("community:post_history", args=[thread.posts.get(is_first=True).pk]),
        reverse("community:search") + "?q=hope",
    ):
        page.goto(base + url)
        assert_axe_clean(page)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{url} scrolls sideways at {viewport['width']} px"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_thread_with_picture_reported_by_three_members_is_hidden_and_its_author_suspended(
    live_server, new_page, settings, tmp_path
):
    # given a public forum, its author-to-be, three other members and a moderator with TOTP
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from apps.accounts.tests.factories import AdminFactory

    settings.MEDIA_ROOT = tmp_path
    base = live_server.url
    category = forum(name="Crystal healing")
    author = established_member(display_name="Spammy")
    reporters = [UserFactory() for _ in range(3)]
    moderator = AdminFactory(email="keeper@example.com")
    TOTP.activate(moderator, generate_totp_secret())  # admins must have TOTP; signed in by session cookie below
    picture = tmp_path / "offer.png"
    picture.write_bytes(_png())

    # when the author starts a thread with a picture through the form
    author_page = new_page()
    sign_in_with_session(author_page, base, author)
    author_page.goto(base + reverse("community:category", args=[category.slug]))
    author_page.get_by_role("link", name="Start a thread").click()
    author_page.get_by_label("Title").fill("Cheap crystals, pay me outside SoulSeer")
    author_page.get_by_label("Your post").fill("Write to me at **cheap@example.com**.")
    author_page.get_by_label("Pictures or PDFs (optional)").set_input_files(str(picture))
    author_page.get_by_role("button", name="Post the thread").click()
    author_page.wait_for_url(re.compile(r".*/community/t/\d+/$"))
    expect(author_page.get_by_role("list", name="Attached files").get_by_role("img")).to_be_visible()
    thread_url = author_page.url
    post = Post.objects.get(is_first=True, thread__title__startswith="Cheap crystals")

    # and three members report it, each from the thread page
    for number, reporter in enumerate(reporters, start=1):
        page = new_page()
        sign_in_with_session(page, base, reporter)
        page.goto(thread_url)
        page.locator(f"#post-{post.pk}").get_by_role("link", name=re.compile("^Report")).click()
        page.get_by_label("Scam or request for off-platform payment").check()
        page.get_by_role("button", name="Send report").click()
        expect(page.get_by_text("Thank you. A moderator will review your report.")).to_be_visible()
        if number == 1:
            # then the post carries the pending-report warning for everyone (the report leads back to the thread)
            assert page.url.startswith(thread_url)
            expect(page.get_by_test_id("post-flagged")).to_be_visible()
        page.context.close()

    # then after the third distinct report the thread is hidden from everyone but its author and moderators
    visitor = new_page()
    response = visitor.goto(thread_url)
    assert response is not None and response.status == 404
    visitor.goto(base + reverse("community:category", args=[category.slug]))
    expect(visitor.get_by_text("Cheap crystals")).to_have_count(0)
    author_page.goto(thread_url)
    expect(author_page.get_by_test_id("post-hidden-notice")).to_contain_text("after several members reported it")

    # when a moderator reviews it from the queue and suspends the author for a week
    moderator_page = new_page()
    sign_in_with_session(moderator_page, base, moderator)
    moderator_page.goto(base + reverse("moderation:queue"))
    moderator_page.get_by_role("link", name=re.compile(r"^Review report")).first.click()
    expect(moderator_page.get_by_test_id("content-hidden")).to_contain_text("flagged by 3 members")
    expect(moderator_page.get_by_text("Cheap crystals, pay me outside SoulSeer").first).to_be_visible()
    assert_axe_clean(moderator_page)
    moderator_page.get_by_label("Hide the content and suspend its author").check()
    moderator_page.get_by_label("Suspend the author for (with “suspend”)").select_option(label="7 days")
    moderator_page.get_by_label("Reason for the suspension (the author is shown it)").fill("Selling outside SoulSeer")
    moderator_page.once("dialog", lambda dialog: dialog.accept())
    moderator_page.get_by_role("button", name="Record decision").click()
    moderator_page.wait_for_url(re.compile(r".*/moderation/queue/$"))

    # then the thread stays hidden, the moderator still reads it, and the author can read but not post
    moderator_page.goto(thread_url)
    expect(moderator_page.get_by_role("heading", level=1)).to_have_text("Cheap crystals, pay me outside SoulSeer")
    author_page.goto(base + reverse("community:category", args=[category.slug]))
    expect(author_page.get_by_text("Selling outside SoulSeer").first).to_be_visible()
    expect(author_page.get_by_test_id("post-suspended")).to_be_visible()
    expect(author_page.get_by_role("link", name="Start a thread")).to_have_count(0)
    other = Thread.objects.create(
        category=category, author=reporters[0], title="Moonstones", last_posted_at=timezone.now()
    )
    Post.objects.create(thread=other, author=reporters[0], is_first=True, body="Hello", body_html="<p>Hello</p>")
    author_page.goto(base + reverse("community:thread", args=[other.pk]))
    expect(author_page.get_by_test_id("reply-suspended")).to_be_visible()
    expect(author_page.get_by_label("Your reply")).to_have_count(0)
    refused = author_page.goto(base + reverse("community:thread_new", args=[category.slug]))
    assert refused is not None and refused.status == 403
    expect(author_page.locator("main")).to_contain_text("Your account is suspended")
    expect(author_page.get_by_label("Title")).to_have_count(0)
    assert not Post.objects.filter(thread=other, author=author).exists()
    assert AuditLog.objects.filter(action="moderation.report_resolved", actor=moderator).exists()
