"""Attachments through the forum's own forms: the content decides (a lying file is refused with a reason and
nothing is written or kept), pictures lose their metadata, and files are served only to people who may read
the thread (members through a link bound to them, visitors of public forums from the forum's own view)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from apps.accounts.tests.factories import AdminFactory, UserFactory
from apps.community.models import Attachment, Post, Thread
from apps.community.services import post_reply
from apps.community.tests.factories import established_member, forum, thread_by
from apps.moderation.services import content_hide
from tests.support.images import photo_with_location

pytestmark = pytest.mark.django_db

CLEAN_PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
)


@pytest.fixture(autouse=True)
def _private_files(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(out, format="PNG")
    return out.getvalue()


def _file(content: bytes, name: str, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def _stored_files(root) -> list:
    return [path for path in root.rglob("*") if path.is_file()]


def _new_thread(client, category, *files, title="With a picture"):
    return client.post(
        reverse("community:thread_new", args=[category.slug]),
        {"title": title, "body": "See the file.", "attachments": list(files)},
    )


def test_thread_form_photo_loses_its_gps_and_camera(client, _private_files):
    # given
    category = forum()
    client.force_login(established_member())
    photo = photo_with_location(size=(30, 40))  # lying on its side: 40×30 once upright
    assert Image.open(io.BytesIO(photo)).getexif().get_ifd(0x8825)  # the photo does carry a location
    # when
    response = _new_thread(client, category, _file(photo, "holiday.jpg", "image/jpeg"))
    # then
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    stored = (_private_files / attachment.storage_key).read_bytes()
    image = Image.open(io.BytesIO(stored))
    exif = image.getexif()
    assert image.format == "JPEG" and (attachment.width, attachment.height) == (40, 30)
    assert not exif.get_ifd(0x8825) and 0x010F not in exif
    assert b"PhoneMaker" not in stored
    assert (attachment.filename, attachment.content_type) == ("holiday.jpg", "image/jpeg")


@pytest.mark.parametrize(
    ("content", "name", "content_type"),
    [
        (b"<!doctype html><html><script>alert(1)</script></html>", "cat.png", "image/png"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "cat.png", "image/png"),
        (
            CLEAN_PDF.replace(b"%%EOF\n", b"<html><body><script>alert(1)</script></body></html>\n%%EOF\n"),
            "notes.pdf",
            "application/pdf",
        ),
        (b"MZ\x90\x00 not a picture", "tarot.webp", "image/webp"),
    ],
    ids=["html-as-png", "svg-as-png", "polyglot-pdf", "binary-as-webp"],
)
def test_thread_form_lying_file_is_refused_with_a_reason_and_nothing_kept(
    client, _private_files, content, name, content_type
):
    # given
    category = forum()
    client.force_login(established_member())
    stored_before = _stored_files(_private_files)
    # when
    response = _new_thread(client, category, _file(_png(), "fine.png"), _file(content, name, content_type))
    # then
    assert response.status_code == 400
    assert name in response.content.decode()
    assert not Thread.objects.exclude(title="Hello").exists() and not Attachment.objects.exists()
    assert _stored_files(_private_files) == stored_before


def test_reply_form_refuses_a_fifth_file(client, _private_files):
    thread = thread_by()
    client.force_login(established_member())
    files = [_file(_png(), f"p{n}.png") for n in range(5)]
    response = client.post(reverse("community:reply", args=[thread.pk]), {"body": "Five", "attachments": files})
    assert response.status_code == 400 and "at most 4 files" in response.content.decode()
    assert Post.objects.filter(thread=thread).count() == 1 and _stored_files(_private_files) == []


def test_reply_form_takes_a_pdf_and_the_page_lists_it(client):
    thread = thread_by()
    client.force_login(established_member())
    response = client.post(
        reverse("community:reply", args=[thread.pk]),
        {"body": "Notes attached", "attachments": [_file(CLEAN_PDF, "<b>notes</b>.pdf", "application/pdf")]},
    )
    assert response.status_code == 302
    html = client.get(reverse("community:thread", args=[thread.pk])).content.decode()
    attachment = Attachment.objects.get()
    assert reverse("community:attachment", args=[attachment.pk]) in html
    assert "<b>notes</b>" not in html  # the name is shown as text (its markup characters are dropped or escaped)


def _thread_with_picture(category=None, author=None) -> tuple[Thread, Attachment]:
    thread = thread_by(author, category=category or forum())
    post_reply(
        actor=established_member(), thread_id=thread.pk, body="A picture", attachments=[_file(_png(), "card.png")]
    )
    return thread, Attachment.objects.get(post__thread=thread)


def test_member_gets_a_link_bound_to_them(client):
    # given
    _, attachment = _thread_with_picture()
    member, other = UserFactory(), UserFactory()
    client.force_login(member)
    # when
    response = client.get(reverse("community:attachment", args=[attachment.pk]))
    # then: a fresh link of the member's, which serves the picture to them and to nobody else
    assert response.status_code == 302 and response["Location"].startswith("/files/")
    served = client.get(response["Location"])
    assert served.status_code == 200 and b"".join(served.streaming_content).startswith(b"\x89PNG")
    client.force_login(other)
    assert client.get(response["Location"]).status_code == 404


def test_visitor_of_a_public_forum_gets_the_picture_inline(client):
    _, attachment = _thread_with_picture()
    response = client.get(reverse("community:attachment", args=[attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png" and response["X-Content-Type-Options"] == "nosniff"
    assert not response["Content-Disposition"].startswith("attachment")


def test_visitor_of_a_members_forum_and_anyone_after_hiding_get_404(client):
    # given
    _, members_only = _thread_with_picture(category=forum(visibility="members"))
    _, hidden = _thread_with_picture()
    content_hide(actor=AdminFactory(), type_key="community.post", object_id=hidden.post_id, reason="Spam")
    # when / then
    assert client.get(reverse("community:attachment", args=[members_only.pk])).status_code == 404
    client.force_login(UserFactory())
    assert client.get(reverse("community:attachment", args=[hidden.pk])).status_code == 404


def test_visitor_gets_a_short_signed_storage_url_when_files_are_on_r2(client, s3_storage):
    _, attachment = _thread_with_picture()
    response = client.get(reverse("community:attachment", args=[attachment.pk]))
    assert response.status_code == 302
    assert "X-Amz-Expires=60" in response["Location"] and "X-Amz-Signature=" in response["Location"]


def test_new_account_cannot_attach_files_and_nothing_is_kept(client, _private_files):
    thread = thread_by()
    client.force_login(UserFactory())
    response = client.post(
        reverse("community:reply", args=[thread.pk]), {"body": "Mine", "attachments": [_file(_png(), "a.png")]}
    )
    assert response.status_code == 400 and "New accounts cannot attach files yet" in response.content.decode()
    assert Post.objects.filter(thread=thread).count() == 1 and _stored_files(_private_files) == []
