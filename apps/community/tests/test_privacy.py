"""The forums' personal data: exported with the person's posts, earlier versions and files; erased on deletion
without breaking the threads others replied in."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.accounts.tests.factories import UserFactory
from apps.community.models import Attachment, Post, PostRevision, Subscription, Thread
from apps.community.privacy import REMOVED, REMOVED_TITLE
from apps.community.services import post_edit
from apps.community.tests.factories import established_member, reply_by, thread_by
from apps.community.tests.test_attachments import _png
from apps.core.privacy import personal_data_entries
from apps.notifications.models import Notification

pytestmark = pytest.mark.django_db


def _entry():
    return next(entry for entry in personal_data_entries() if entry.key == "community.forums")


def test_export_and_erase_of_a_member_with_threads_posts_edits_and_files(settings, tmp_path):
    # given: the member's thread (edited, with a picture) that someone else replied to and follows
    settings.MEDIA_ROOT = tmp_path
    member, other = established_member(), UserFactory()
    thread = thread_by(member, title="Marker amethyst rituals", body="Marker first words")
    post_edit(actor=member, post_id=thread.posts.get(is_first=True).pk, body="Marker second words")
    from apps.community.services import post_reply

    post_reply(
        actor=member,
        thread_id=thread.pk,
        body="Marker picture",
        attachments=[SimpleUploadedFile("moon.png", _png(), content_type="image/png")],
    )
    reply = reply_by(other, thread, body="Lovely")
    reply_by(member, thread, body="Marker thanks")
    # when
    exported = _entry().export(member)
    files = list(_entry().files(member))
    _entry().erase(member)
    # then: the export held their words, versions and files
    assert "Marker amethyst rituals" in str(exported["threads_started"])
    assert "Marker first words" in str(exported["earlier_versions_of_posts"])
    assert len(files) == 1 and files[0][2].endswith("moon.png")
    # and: their words are gone, the others' reply stays in place
    assert not Thread.objects.filter(title__contains="Marker").exists()
    assert Thread.objects.get(pk=thread.pk).title == REMOVED_TITLE
    assert set(Post.objects.filter(author=member).values_list("body", flat=True)) == {REMOVED}
    assert not PostRevision.objects.filter(post__author=member).exists()
    assert not Attachment.objects.exists() and not Subscription.objects.filter(user=member).exists()
    assert Post.objects.get(pk=reply.pk).body == "Lovely"
    assert not Notification.objects.filter(title__contains="Marker amethyst").exists()
