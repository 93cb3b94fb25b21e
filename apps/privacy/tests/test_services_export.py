from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.storage import storages
from django.utils import timezone

from apps.core.exceptions import RateLimitedError
from apps.core.models import AuditLog, OutboxMessage
from apps.core.outbox import outbox_drain
from apps.notifications.models import Notification
from apps.privacy.constants import EXPORT_STORAGE
from apps.privacy.enums import ExportStatus
from apps.privacy.exceptions import ExportInProgress
from apps.privacy.models import DataExport
from apps.privacy.services import export_build, export_request, exports_expire

from .helpers import export_data, export_zip, zip_text
from .world import person_with_data, shared_reader

pytestmark = pytest.mark.django_db


def test_export_request_then_build_contains_the_users_data_and_nobody_elses():
    # given: two people with data everywhere, who share a reader
    reader = shared_reader()
    amber = person_with_data("AmberMark", reader=reader)
    cobalt = person_with_data("CobaltMark", reader=reader)
    # when
    export = export_request(user=amber.user)
    outbox_drain()
    # then
    export.refresh_from_db()
    assert export.status == ExportStatus.READY
    archive = export_zip(export)
    names = archive.namelist()
    assert "data.json" in names and "README.txt" in names
    assert any(name.startswith("files/avatar/") for name in names)
    assert any(name.startswith("files/reader-applications/") for name in names)
    text = zip_text(archive)
    for written in (
        "intake",
        "chat line",
        "private note",
        "review",
        "message",
        "booking note",
        "stream chat",
        "report",
        "subject",
        "notification",
        "bio",
        "Name",
    ):
        assert f"AmberMark {written}" in text or f"{written}, AmberMark" in text or f"AmberMark{written}" in text, (
            written
        )
    assert amber.user.email in text
    assert "CobaltMark" not in text and "cobaltmark" not in text
    assert cobalt.user.email not in text
    data = export_data(export)
    sections = data["sections"]
    assert set(sections) >= {
        "accounts.profile",
        "readers.profile",
        "readings.readings",
        "messaging.conversations",
        "scheduling.bookings",
        "live.streams",
        "wallet.ledger",
        "payouts.payouts",
        "notifications.notifications",
        "moderation.reports",
        "pages.support_tickets",
        "core.audit_log",
        "privacy.requests",
    }
    reading = sections["readings.readings"][0]
    assert reading["summary"]["minutes_billed"] == reading["minutes_billed"]
    assert [line["text"] for line in reading["transcript"]] == ["AmberMark chat line", "The reader's answer"]
    assert sections["readings.readings"][0]["review"]["rating"] == 4
    assert {posting["account"] for posting in sections["wallet.ledger"]["postings"]} == {f"wallet:{amber.user.pk}"}
    assert any(entry["action"] == "privacy.export_requested" for entry in sections["core.audit_log"])


def test_export_ready_tells_the_user_in_the_app_and_by_email_with_a_link():
    # given
    person = person_with_data("BirchMark", reader=shared_reader())
    mail.outbox.clear()
    # when
    export = export_request(user=person.user)
    outbox_drain()
    outbox_drain()  # the email the build recorded
    # then
    notification = Notification.objects.get(user=person.user, kind="account.export_ready", title__startswith="Your")
    assert notification.url == "/accounts/export/download/"
    [email] = [message for message in mail.outbox if "data export" in message.subject]
    assert email.to == [person.user.email]
    assert "/files/" in email.body
    assert AuditLog.objects.filter(action="privacy.export_ready", target_id=str(export.pk)).exists()
    assert not OutboxMessage.objects.exclude(status="done").exists()


def test_export_request_while_one_is_being_prepared_is_refused_and_changes_nothing():
    # given
    person = person_with_data("CedarMark", reader=shared_reader())
    export_request(user=person.user)
    # when / then
    with pytest.raises(ExportInProgress):
        export_request(user=person.user)
    assert DataExport.objects.filter(user=person.user).count() == 1


def test_export_request_replaces_a_ready_export_and_deletes_its_file(django_capture_on_commit_callbacks):
    # given
    person = person_with_data("DuneMark", reader=shared_reader())
    first = export_request(user=person.user)
    outbox_drain()
    first.refresh_from_db()
    storage = storages[EXPORT_STORAGE]
    assert storage.exists(first.storage_key)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        export_request(user=person.user)
    # then
    first_key = first.storage_key
    first.refresh_from_db()
    assert first.status == ExportStatus.EXPIRED
    assert not storage.exists(first_key)


def test_export_request_past_three_a_day_is_rate_limited():
    # given
    person = person_with_data("ElmMark", reader=shared_reader())
    for _ in range(3):
        export = export_request(user=person.user)
        export_build(export_id=export.pk)
    # when / then
    with pytest.raises(RateLimitedError):
        export_request(user=person.user)
    assert DataExport.objects.filter(user=person.user).count() == 3


def test_exports_expire_deletes_old_files_and_gives_up_on_stuck_exports(django_capture_on_commit_callbacks):
    # given: one ready export past its keep time, and one stuck while building for a day
    person = person_with_data("FernMark", reader=shared_reader())
    other = person_with_data("GroveMark", reader=person.reader)
    ready = export_request(user=person.user)
    export_build(export_id=ready.pk)
    ready.refresh_from_db()
    stuck = export_request(user=other.user)
    DataExport.objects.filter(pk=stuck.pk).update(requested_at=timezone.now() - timedelta(days=2))
    # when
    with django_capture_on_commit_callbacks(execute=True):
        changed = exports_expire(now=ready.expires_at + timedelta(seconds=1))
    # then
    assert changed == 2
    assert not storages[EXPORT_STORAGE].exists(ready.storage_key)
    ready.refresh_from_db()
    stuck.refresh_from_db()
    assert (ready.status, ready.storage_key) == (ExportStatus.EXPIRED, "")
    assert stuck.status == ExportStatus.FAILED


def test_export_build_twice_builds_once():
    # given
    person = person_with_data("HazelMark", reader=shared_reader())
    export = export_request(user=person.user)
    export_build(export_id=export.pk)
    export.refresh_from_db()
    # when
    again = export_build(export_id=export.pk)
    # then
    assert again is not None and again.storage_key == export.storage_key
    assert AuditLog.objects.filter(action="privacy.export_ready").count() == 1
