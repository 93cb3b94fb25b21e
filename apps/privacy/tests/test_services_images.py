"""Images stored before uploads were re-encoded: the pass rewrites those that still carry a location or camera
details (avatars, reader applications' and readers' photos, forum pictures), points their rows at the clean copies,
removes the old files once committed, leaves clean and unreadable files alone, and never undoes a newer upload."""

import os
import secrets
import signal
import threading
import time
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from apps.accounts.locks import user_lock
from apps.accounts.models import ReaderApplication, User
from apps.accounts.services import user_update_profile
from apps.accounts.tests.factories import (
    UserFactory,
    image_upload,
    reader_application_create,
)
from apps.community.models import Attachment, Post
from apps.community.tests.factories import thread_by
from apps.core.models import AuditLog
from apps.core.stored_images import stored_image_fields
from apps.privacy.services.images import RESCRUB_AUDIT_ACTION, images_rescrub, stored_image_repoint
from apps.readers.models import ReaderProfile
from apps.readers.tests.factories import ReaderProfileFactory
from tests.support.images import photo_assert_clean_and_upright, photo_with_location, photo_with_location_upload

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _stored(storage_alias: str, name: str, content: bytes) -> str:
    """A file as it was stored before uploads were re-encoded: the sender's bytes as they came."""
    return storages[storage_alias].save(name, ContentFile(content))


def _legacy_avatar(content: bytes | None = None) -> User:
    user = UserFactory()
    name = _stored("default", "avatars/2025/04/IMG_0042.jpg", content if content is not None else photo_with_location())
    User.objects.filter(pk=user.pk).update(avatar=name)
    return User.objects.get(pk=user.pk)


def _legacy_application() -> ReaderApplication:
    application = reader_application_create(UserFactory())
    name = _stored("default", "reader-applications/2025/04/me.jpg", photo_with_location())
    ReaderApplication.objects.filter(pk=application.pk).update(photo=name)
    return ReaderApplication.objects.get(pk=application.pk)


def _legacy_reader_photo() -> ReaderProfile:
    profile = ReaderProfileFactory()
    name = _stored("public", "readers/2025/04/IMG_0042.jpg", photo_with_location())
    ReaderProfile.objects.filter(pk=profile.pk).update(photo=name)
    return ReaderProfile.objects.get(pk=profile.pk)


def _legacy_attachment(post: Post, content: bytes | None = None, content_type: str = "image/jpeg") -> Attachment:
    content = content if content is not None else photo_with_location()
    extension = "pdf" if content_type == "application/pdf" else "jpg"
    key = _stored("default", f"community/{secrets.token_hex(16)}.{extension}", content)
    return Attachment.objects.create(
        post=post,
        storage_key=key,
        filename=f"IMG_0042.{extension}",
        content_type=content_type,
        size_bytes=len(content),
        width=60 if content_type.startswith("image/") else None,
        height=40 if content_type.startswith("image/") else None,
    )


def _first_post() -> Post:
    thread = thread_by(UserFactory())
    return Post.objects.get(thread=thread, is_first=True)


def _legacy_world() -> dict:
    post = _first_post()
    return {
        "avatar": _legacy_avatar(),
        "application": _legacy_application(),
        "reader": _legacy_reader_photo(),
        "attachment": _legacy_attachment(post),
        "pdf": _legacy_attachment(post, PDF, "application/pdf"),
    }


def _files_of(world: dict) -> dict[str, tuple[str, str]]:
    """Each legacy image's (storage alias, name), read fresh from its row."""
    return {
        "avatar": ("default", User.objects.get(pk=world["avatar"].pk).avatar.name),
        "application": ("default", ReaderApplication.objects.get(pk=world["application"].pk).photo.name),
        "reader": ("public", ReaderProfile.objects.get(pk=world["reader"].pk).photo.name),
        "attachment": ("default", Attachment.objects.get(pk=world["attachment"].pk).storage_key),
    }


def _read(alias: str, name: str) -> bytes:
    with storages[alias].open(name, "rb") as stored:
        return stored.read()


@pytest.mark.django_db
def test_images_rescrub_photos_with_location_rewritten_without_metadata_and_old_files_removed(
    django_capture_on_commit_callbacks,
):
    # given: four images stored with their EXIF GPS, camera serial and comment, and a PDF beside one of them
    world = _legacy_world()
    before = _files_of(world)
    for alias, name in before.values():
        assert b"SN-4471-PRIVATE" in _read(alias, name)
    pdf_key = world["pdf"].storage_key
    # when
    with django_capture_on_commit_callbacks(execute=True):
        report = images_rescrub()
    # then: every row names a new file that is clean and upright, and the old files are gone
    after = _files_of(world)
    for kind, (alias, name) in after.items():
        assert name != before[kind][1], kind
        photo_assert_clean_and_upright(_read(alias, name))
        assert not storages[alias].exists(before[kind][1]), kind
    assert after["reader"][1].startswith("readers/2025/04/") and "IMG_0042" not in after["reader"][1]
    attachment = Attachment.objects.get(pk=world["attachment"].pk)
    assert (attachment.width, attachment.height) == (40, 60)  # turned upright
    assert attachment.size_bytes == len(_read("default", attachment.storage_key))
    assert attachment.content_type == "image/jpeg" and attachment.storage_key.endswith(".jpg")
    assert Attachment.objects.get(pk=world["pdf"].pk).storage_key == pdf_key and _read("default", pdf_key) == PDF
    for key in ("accounts.avatars", "accounts.application_photos", "readers.photos", "community.attachments"):
        counts = report.by_key[key]
        assert (counts.checked, counts.rewritten, counts.clean, counts.unreadable) == (1, 1, 0, 0), key
    # the thumbnails, made by Pillow from the photo, are not walked: they never held metadata
    reader = ReaderProfile.objects.get(pk=world["reader"].pk)
    assert reader.photo_small.name == world["reader"].photo_small.name


@pytest.mark.django_db
def test_images_rescrub_second_run_rewrites_nothing(django_capture_on_commit_callbacks):
    # given: a first pass rewrote everything
    world = _legacy_world()
    with django_capture_on_commit_callbacks(execute=True):
        images_rescrub()
    rewritten = _files_of(world)
    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        report = images_rescrub()
    # then
    assert _files_of(world) == rewritten
    assert callbacks == []
    assert (report.total.checked, report.total.rewritten, report.total.clean) == (4, 0, 4)


@pytest.mark.django_db
def test_images_rescrub_new_uploads_already_clean_are_left_alone(django_capture_on_commit_callbacks):
    # given: an avatar uploaded through today's service, which re-encodes it
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        user_update_profile(
            user=user,
            display_name="Ana",
            timezone="UTC",
            theme=user.theme,
            notify_email_messages=True,
            notify_email_readings=True,
            notify_email_account=True,
            avatar=photo_with_location_upload(),
        )
    name = User.objects.get(pk=user.pk).avatar.name
    # when
    report = images_rescrub(keys={"accounts.avatars"})
    # then
    assert User.objects.get(pk=user.pk).avatar.name == name
    assert (report.total.checked, report.total.rewritten, report.total.clean) == (1, 0, 1)


@pytest.mark.django_db
def test_images_rescrub_dry_run_counts_and_changes_nothing():
    # given
    world = _legacy_world()
    before = _files_of(world)
    stored = {kind: _read(alias, name) for kind, (alias, name) in before.items()}
    # when
    report = images_rescrub(dry_run=True)
    # then
    assert _files_of(world) == before
    assert {kind: _read(alias, name) for kind, (alias, name) in before.items()} == stored
    assert (report.total.checked, report.total.rewritten, report.total.clean) == (4, 4, 0)


@pytest.mark.django_db
def test_images_rescrub_unreadable_files_counted_and_left_alone(django_capture_on_commit_callbacks):
    # given: an avatar that is not an image, one whose file is missing, and one with a location
    garbage = _legacy_avatar(b"this is not a picture at all")
    missing = _legacy_avatar()
    storages["default"].delete(missing.avatar.name)
    located = _legacy_avatar()
    # when
    with django_capture_on_commit_callbacks(execute=True):
        report = images_rescrub(keys={"accounts.avatars"})
    # then: the pass went on past them; they are as they were
    counts = report.by_key["accounts.avatars"]
    assert (counts.checked, counts.rewritten, counts.unreadable) == (3, 1, 2)
    assert {(item.row_id, item.name) for item in report.unreadable} == {
        (garbage.pk, garbage.avatar.name),
        (missing.pk, missing.avatar.name),
    }
    assert User.objects.get(pk=garbage.pk).avatar.name == garbage.avatar.name
    assert _read("default", garbage.avatar.name) == b"this is not a picture at all"
    assert User.objects.get(pk=missing.pk).avatar.name == missing.avatar.name
    photo_assert_clean_and_upright(_read("default", User.objects.get(pk=located.pk).avatar.name))


@pytest.mark.django_db
def test_stored_image_repoint_row_naming_another_file_not_changed():
    # given: the pass read avatar X, but the owner has since uploaded Y
    user = _legacy_avatar()
    read_by_the_pass = user.avatar.name
    newer = _stored("default", "avatars/2026/12/newer.jpg", photo_with_location())
    User.objects.filter(pk=user.pk).update(avatar=newer)
    entry = next(entry for entry in stored_image_fields() if entry.key == "accounts.avatars")
    # when
    repointed = stored_image_repoint(
        entry=entry, row_id=user.pk, old_name=read_by_the_pass, new_name="avatars/clean.jpg", changes={}
    )
    # then
    assert repointed is False
    assert User.objects.get(pk=user.pk).avatar.name == newer


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("where", ["disk", "r2"])
def test_images_rescrub_racing_the_owner_new_avatar_keeps_the_new_avatar(request, where):
    # given: an avatar with a location (on the app's disk, or on R2); the owner's upload has locked and rewritten
    # the row, not yet committed
    if where == "r2":
        request.getfixturevalue("s3_storage")
    user = _legacy_avatar()
    old_name = user.avatar.name
    newer = _stored("default", "avatars/2026/12/newer.png", image_upload().read())  # the owner's clean upload
    outcome: dict = {}

    def rescrub() -> None:
        try:
            outcome["report"] = images_rescrub(keys={"accounts.avatars"})
        except Exception as error:  # reported to the test below
            outcome["error"] = error
        finally:
            connection.close()

    with transaction.atomic():
        user_lock(user_id=user.pk)
        User.objects.filter(pk=user.pk).update(avatar=newer)
        worker = threading.Thread(target=rescrub)
        worker.start()
        # when: the pass read the committed name, stored its clean copy and now waits on the owner's row lock
        deadline = time.monotonic() + 20
        with connection.cursor() as cursor:
            while time.monotonic() < deadline:
                cursor.execute(  # a session of this test blocked by this transaction, not any other lock wait
                    "SELECT count(*) FROM pg_locks WHERE NOT granted AND pg_backend_pid() = ANY(pg_blocking_pids(pid))"
                )
                if cursor.fetchone()[0]:
                    break
                time.sleep(0.05)
            else:
                pytest.fail("the pass never waited for the owner's row lock")
    # (the owner's upload commits here)
    worker.join(timeout=30)
    # then: the newer avatar stays, the pass counted the change and kept no clean copy of the old one
    assert "error" not in outcome, outcome
    counts = outcome["report"].by_key["accounts.avatars"]
    assert (counts.checked, counts.rewritten, counts.changed) == (1, 0, 1)
    assert User.objects.get(pk=user.pk).avatar.name == newer
    assert storages["default"].listdir("avatars/2025/04")[1] == [old_name.rsplit("/", 1)[-1]]
    assert storages["default"].listdir("avatars/2026/12")[1] == ["newer.png"]
    # and the pass is on record with what it skipped
    audit = AuditLog.objects.get(action=RESCRUB_AUDIT_ACTION)
    assert audit.details["counts"]["accounts.avatars"]["changed"] == 1
    assert audit.details["total"]["rewritten"] == 0


@pytest.mark.django_db
def test_images_rescrub_command_prints_the_counts(django_capture_on_commit_callbacks):
    # given
    _legacy_world()
    garbage = _legacy_avatar(b"not an image")
    # when
    dry, real = StringIO(), StringIO()
    call_command("images_rescrub", "--dry-run", stdout=dry)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("images_rescrub", stdout=real)
    # then
    assert "accounts.avatars: checked 2, would rewrite 1, already clean 0, unreadable 1" in dry.getvalue()
    assert "total: checked 5, would rewrite 4, already clean 0, unreadable 1" in dry.getvalue()
    assert "total: checked 5, rewritten 4, already clean 0, unreadable 1, changed meanwhile 0" in real.getvalue()
    assert "Left as they are (unreadable):" in real.getvalue()
    assert f"accounts.avatars #{garbage.pk} {garbage.avatar.name}: This file is not a JPEG" in real.getvalue()


def test_reader_thumbnails_made_from_a_photo_with_metadata_carry_none():
    # given: a phone photo with a location, a camera serial, a comment and a colour profile, as old uploads were
    from io import BytesIO

    from PIL import Image, ImageCms

    from apps.core.uploads import image_metadata_found
    from apps.readers.photos import THUMBNAIL_SIZES, thumbnail_bytes

    with Image.open(BytesIO(photo_with_location())) as photo:
        out = BytesIO()
        profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
        photo.save(out, format="JPEG", exif=photo.info["exif"], comment=b"taken at home", icc_profile=profile)
    assert image_metadata_found(ContentFile(out.getvalue(), name="p.jpg"), max_bytes=5_000_000)[0]
    for size in THUMBNAIL_SIZES.values():
        # when: the thumbnail is made straight from it, as before uploads were re-encoded
        thumbnail = thumbnail_bytes(BytesIO(out.getvalue()), size=size)
        # then: Pillow's WebP writer carried nothing over
        found, _ = image_metadata_found(ContentFile(thumbnail, name="t.webp"), max_bytes=5_000_000)
        assert found == []
        assert b"SN-4471-PRIVATE" not in thumbnail and b"taken at home" not in thumbnail


def _rescrub_audits() -> list[AuditLog]:
    return list(AuditLog.objects.filter(action=RESCRUB_AUDIT_ACTION).order_by("id"))


@pytest.mark.django_db(transaction=True)
def test_images_rescrub_on_r2_records_one_audit_row_with_the_counts_per_column(s3_storage):
    # given: avatars, an application photo and an attachment on R2 (one avatar is not a picture), a reader photo on
    # the public storage
    world = _legacy_world()
    garbage = _legacy_avatar(b"not an image")
    before = _files_of(world)
    # when
    out = StringIO()
    call_command("images_rescrub", stdout=out)
    # then: the files were rewritten on R2 and the old ones deleted there
    for kind, (alias, name) in _files_of(world).items():
        photo_assert_clean_and_upright(_read(alias, name))
        assert not storages[alias].exists(before[kind][1]), kind
    # and one audit row by the system holds the counts of every column and names the unreadable file
    [audit] = _rescrub_audits()
    assert audit.actor is None
    one_rewritten = {"checked": 1, "rewritten": 1, "clean": 0, "unreadable": 0, "changed": 0, "not_deleted": 0}
    assert audit.details["counts"] == {
        "accounts.avatars": {**one_rewritten, "checked": 2, "unreadable": 1},
        "accounts.application_photos": one_rewritten,
        "readers.photos": one_rewritten,
        "community.attachments": one_rewritten,
    }
    assert audit.details["total"] == {**one_rewritten, "checked": 5, "rewritten": 4, "unreadable": 1}
    assert audit.details["completed"] is True
    assert audit.details["not_deleted"] == []
    assert [(item["key"], item["row_id"], item["name"]) for item in audit.details["unreadable"]] == [
        ("accounts.avatars", str(garbage.pk), garbage.avatar.name)
    ]
    assert "total: checked 5, rewritten 4, already clean 0, unreadable 1, changed meanwhile 0, not deleted 0" in (
        out.getvalue()
    )


@pytest.mark.django_db(transaction=True)
def test_images_rescrub_dry_run_and_a_pass_finding_only_clean_files_record_no_audit_row(s3_storage):
    # given
    _legacy_world()
    # when: a dry run
    call_command("images_rescrub", "--dry-run", stdout=StringIO())
    # then
    assert _rescrub_audits() == []
    # when: the real pass, then one that finds everything clean
    call_command("images_rescrub", stdout=StringIO())
    out = StringIO()
    call_command("images_rescrub", stdout=out)
    # then: only the first real pass is on record
    [audit] = _rescrub_audits()
    assert audit.details["total"]["rewritten"] == 4
    assert "total: checked 4, rewritten 0, already clean 4" in out.getvalue()


@pytest.fixture
def r2_refusing_deletes(s3_server, s3_storage, settings):
    """The "default" storage on R2 (``s3_storage``'s prefix), where deleting an avatar named KEEP_* is refused by the
    server (a wrongly signed request), as R2 refuses a token without delete rights."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "tests.support.s3_storages.DeleteRefusingS3Storage",
            "OPTIONS": {**settings.STORAGES["default"]["OPTIONS"], "refuse_delete": ["avatars/*/KEEP_*"]},
        },
    }
    return storages["default"]


@pytest.mark.django_db(transaction=True)
def test_images_rescrub_old_file_r2_refuses_to_delete_is_counted_listed_audited_and_fails_the_command(
    r2_refusing_deletes,
):
    # given: two avatars with a location; R2 will refuse to delete one of them
    kept = _legacy_avatar()
    User.objects.filter(pk=kept.pk).update(
        avatar=_stored("default", "avatars/2025/04/KEEP_0042.jpg", photo_with_location())
    )
    kept_name = User.objects.get(pk=kept.pk).avatar.name
    other = _legacy_avatar()
    # when
    out = StringIO()
    with pytest.raises(CommandError, match=r"1 file\(s\) could not be deleted"):
        call_command("images_rescrub", stdout=out)
    # then: both rows name clean copies; the refused old file is still there, the other one is gone
    for user in (kept, other):
        photo_assert_clean_and_upright(_read("default", User.objects.get(pk=user.pk).avatar.name))
    assert r2_refusing_deletes.exists(kept_name)
    assert not r2_refusing_deletes.exists(other.avatar.name)
    # and it is counted, listed and on record
    output = out.getvalue()
    assert "accounts.avatars: checked 2, rewritten 2, already clean 0, unreadable 0, changed meanwhile 0, " in output
    assert "total: checked 2, rewritten 2, already clean 0, unreadable 0, changed meanwhile 0, not deleted 1" in output
    assert "Not deleted (remove by hand):" in output
    assert f"accounts.avatars #{kept.pk} old file {kept_name}: " in output
    [audit] = _rescrub_audits()
    assert audit.details["counts"]["accounts.avatars"]["not_deleted"] == 1
    assert audit.details["total"]["not_deleted"] == 1
    [undeleted] = audit.details["not_deleted"]
    assert (undeleted["row_id"], undeleted["name"], undeleted["what"]) == (str(kept.pk), kept_name, "old file")
    assert "SignatureDoesNotMatch" in undeleted["reason"] or "AccessDenied" in undeleted["reason"]


@pytest.fixture
def avatar_change_refused_at_commit(db):
    """A deferred constraint trigger that makes PostgreSQL refuse, at COMMIT, any transaction that changed an avatar:
    the rescrub's UPDATE applies, then its transaction rolls back."""
    table = connection.ops.quote_name(User._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION test_avatar_change_refused() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'avatar change refused at commit'; END $$"
        )
        cursor.execute(
            f"CREATE CONSTRAINT TRIGGER test_avatar_change_refused AFTER UPDATE OF avatar ON {table} "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION test_avatar_change_refused()"
        )
    yield
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER test_avatar_change_refused ON {table}")
        cursor.execute("DROP FUNCTION test_avatar_change_refused()")


@pytest.mark.django_db(transaction=True)
def test_images_rescrub_rolled_back_update_leaves_no_clean_copy_on_r2(request, s3_storage):
    # given: an avatar with a location on R2, whose row can no longer be changed (refused when the change commits)
    user = _legacy_avatar()
    old_name = user.avatar.name
    request.getfixturevalue("avatar_change_refused_at_commit")
    # when
    with pytest.raises(DatabaseError, match="avatar change refused at commit"):
        images_rescrub(keys={"accounts.avatars"})
    # then: the row and its file are as they were, and the clean copy stored before the UPDATE is gone
    assert User.objects.get(pk=user.pk).avatar.name == old_name
    assert s3_storage.listdir("avatars/2025/04") == ([], [old_name.rsplit("/", 1)[-1]])
    # and the stopped pass is on record with the error
    [audit] = _rescrub_audits()
    assert audit.details["completed"] is False
    assert "avatar change refused at commit" in audit.details["error"]
    assert audit.details["counts"]["accounts.avatars"]["checked"] == 1
    assert audit.details["counts"]["accounts.avatars"]["rewritten"] == 0


@pytest.mark.django_db(transaction=True)
def test_images_rescrub_stopped_by_sigterm_before_its_commit_leaves_no_clean_copy(s3_storage):
    # given: an avatar with a location on R2, whose row another transaction holds locked
    user = _legacy_avatar()
    old_name = user.avatar.name
    done = threading.Event()
    outcome: dict = {}

    def owner() -> None:
        """Holds the row until the command waits for it, then stops the command as a dyno restart does."""
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                user_lock(user_id=user.pk)
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline:
                    cursor.execute(
                        "SELECT count(*) FROM pg_locks "
                        "WHERE NOT granted AND pg_backend_pid() = ANY(pg_blocking_pids(pid))"
                    )
                    if cursor.fetchone()[0]:
                        break
                    time.sleep(0.05)
                else:
                    outcome["error"] = "the command never waited for the row"
                    return
                os.kill(os.getpid(), signal.SIGTERM)
                done.wait(20)
        finally:
            connection.close()

    handler_before = signal.getsignal(signal.SIGTERM)
    worker = threading.Thread(target=owner)
    worker.start()
    # when: the command has stored its clean copy and waits to UPDATE the row when SIGTERM comes
    try:
        with pytest.raises(SystemExit):
            call_command("images_rescrub", stdout=StringIO())
    finally:
        done.set()
        worker.join(timeout=30)
    # then: the row and its file are as they were, and the clean copy is gone
    assert "error" not in outcome, outcome
    assert User.objects.get(pk=user.pk).avatar.name == old_name
    assert s3_storage.listdir("avatars/2025/04") == ([], [old_name.rsplit("/", 1)[-1]])
    # and the stopped pass is on record
    [audit] = _rescrub_audits()
    assert audit.details["completed"] is False
    assert audit.details["error"].startswith("SystemExit")
    assert signal.getsignal(signal.SIGTERM) == handler_before  # the command's handler is gone with it
