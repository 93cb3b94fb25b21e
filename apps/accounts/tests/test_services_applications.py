import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.accounts.enums import ApplicationStatus, Role
from apps.accounts.exceptions import InvalidInputError
from apps.accounts.models import ReaderApplication
from apps.accounts.services import (
    reader_application_approve,
    reader_application_reject,
    reader_application_submit,
)
from apps.accounts.tests.factories import (
    UserFactory,
    image_upload,
    reader_application_create,
)
from apps.core.exceptions import InvalidStateError, PermissionDeniedError
from apps.core.models import AuditLog
from tests.support.images import photo_assert_clean_and_upright, photo_with_location_upload

pytestmark = pytest.mark.django_db

APPLICATION = {
    "bio": "I have read tarot for my community for many years, with care and honesty.",
    "specialties": "tarot, astrology",
    "tools": "Thoth deck",
    "years_experience": 12,
}


def test_reader_application_submit_verified_client_creates_pending_application(client_user):
    # given
    photo = image_upload("me.png")
    # when
    application = reader_application_submit(applicant=client_user, photo=photo, **APPLICATION)
    # then
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PENDING
    assert application.applicant == client_user
    assert application.photo.name.endswith(".png") and "me.png" not in application.photo.name
    assert AuditLog.objects.filter(
        action="accounts.reader_application_submitted", target_id=str(application.pk), actor=client_user
    ).exists()


def test_reader_application_submit_phone_photo_stored_upright_without_location_or_camera(client_user):
    # when
    application = reader_application_submit(
        applicant=client_user, photo=photo_with_location_upload("IMG_0042.jpg"), **APPLICATION
    )
    # then
    application.refresh_from_db()
    name = application.photo.name
    assert name.startswith("reader-applications/") and name.endswith(".jpg") and "IMG_0042" not in name
    with application.photo.storage.open(name, "rb") as stored:
        photo_assert_clean_and_upright(stored.read())


def test_reader_application_submit_jpeg_with_script_appended_stored_without_it(client_user):
    # given: a real JPEG with a script hidden in its comment and after its end (it opens as an image)
    photo = image_upload("me.jpg", image_format="JPEG").read()
    payload = b"<script>alert(document.cookie)</script>"
    polyglot = photo[:2] + b"\xff\xfe" + (len(payload) + 2).to_bytes(2, "big") + payload + photo[2:] + payload
    # when
    application = reader_application_submit(
        applicant=client_user, photo=SimpleUploadedFile("me.jpg", polyglot, "image/jpeg"), **APPLICATION
    )
    # then: only the pixels were kept
    with application.photo.storage.open(application.photo.name, "rb") as stored:
        assert b"script" not in stored.read()


def test_reader_application_submit_second_while_pending_refused(client_user):
    # given
    reader_application_submit(applicant=client_user, photo=image_upload(), **APPLICATION)
    # when / then
    with pytest.raises(InvalidStateError, match="already have an application"):
        reader_application_submit(applicant=client_user, photo=image_upload(), **APPLICATION)
    assert ReaderApplication.objects.filter(applicant=client_user).count() == 1


def test_reader_application_submit_unverified_email_refused():
    # given
    user = UserFactory(verified=False)
    # when / then
    with pytest.raises(PermissionDeniedError):
        reader_application_submit(applicant=user, photo=image_upload(), **APPLICATION)
    assert not ReaderApplication.objects.exists()


def test_reader_application_submit_by_reader_refused(reader_user):
    with pytest.raises(InvalidStateError):
        reader_application_submit(applicant=reader_user, photo=image_upload(), **APPLICATION)
    assert not ReaderApplication.objects.exists()


def test_reader_application_submit_gif_photo_refused_and_nothing_written(client_user):
    # when / then
    with pytest.raises(InvalidInputError, match="JPEG, PNG or WebP"):
        reader_application_submit(applicant=client_user, photo=image_upload("a.png", image_format="GIF"), **APPLICATION)
    assert not ReaderApplication.objects.exists()
    assert not AuditLog.objects.exists()


def test_reader_application_submit_after_rejection_allowed(client_user, admin_user):
    # given
    first = reader_application_create(client_user)
    reader_application_reject(actor=admin_user, application_id=first.pk, reason="Please add a clearer photo.")
    # when
    second = reader_application_submit(applicant=client_user, photo=image_upload(), **APPLICATION)
    # then
    assert second.status == ApplicationStatus.PENDING
    assert ReaderApplication.objects.filter(applicant=client_user).count() == 2


def test_reader_application_approve_pending_makes_reader_audits_and_emails(
    client_user, admin_user, django_capture_on_commit_callbacks, celery_eager
):
    # given
    application = reader_application_create(client_user)
    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        reader_application_approve(actor=admin_user, application_id=application.pk)
    # then
    application.refresh_from_db()
    client_user.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    assert application.reviewed_by == admin_user and application.reviewed_at is not None
    assert client_user.role == Role.READER and not client_user.is_staff
    assert AuditLog.objects.filter(
        action="accounts.reader_application_approved", actor=admin_user, target_id=str(application.pk)
    ).exists()
    role_row = AuditLog.objects.get(action="accounts.role_changed", target_id=str(client_user.pk))
    assert role_row.details["from"] == Role.CLIENT and role_row.details["to"] == Role.READER
    assert len(callbacks) == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [client_user.email]
    assert "approved" in mail.outbox[0].subject


def test_reader_application_approve_twice_refused_without_second_change(client_user, admin_user, celery_eager):
    # given
    application = reader_application_create(client_user)
    reader_application_approve(actor=admin_user, application_id=application.pk)
    audit_count = AuditLog.objects.count()
    # when / then
    with pytest.raises(InvalidStateError, match="already approved"):
        reader_application_approve(actor=admin_user, application_id=application.pk)
    assert AuditLog.objects.count() == audit_count
    assert AuditLog.objects.filter(action="accounts.role_changed").count() == 1


def test_reader_application_approve_after_reject_refused(client_user, admin_user):
    # given
    application = reader_application_create(client_user)
    reader_application_reject(actor=admin_user, application_id=application.pk, reason="Not now.")
    # when / then
    with pytest.raises(InvalidStateError, match="already rejected"):
        reader_application_approve(actor=admin_user, application_id=application.pk)
    client_user.refresh_from_db()
    assert client_user.role == Role.CLIENT


def test_reader_application_approve_by_non_admin_refused(client_user, reader_user):
    # given
    application = reader_application_create(client_user)
    # when / then
    with pytest.raises(PermissionDeniedError):
        reader_application_approve(actor=reader_user, application_id=application.pk)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PENDING


def test_reader_application_approve_applicant_no_longer_client_refused(client_user, admin_user):
    # given
    application = reader_application_create(client_user)
    client_user.role = Role.ADMIN
    client_user.save(update_fields=["role"])
    # when / then
    with pytest.raises(InvalidStateError, match="not a client"):
        reader_application_approve(actor=admin_user, application_id=application.pk)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PENDING


def test_reader_application_reject_with_reason_audits_and_emails_reason(
    client_user, admin_user, django_capture_on_commit_callbacks, celery_eager
):
    # given
    application = reader_application_create(client_user)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        reader_application_reject(actor=admin_user, application_id=application.pk, reason="  Photo is blurry.  ")
    # then
    application.refresh_from_db()
    client_user.refresh_from_db()
    assert application.status == ApplicationStatus.REJECTED
    assert application.decision_reason == "Photo is blurry."
    assert client_user.role == Role.CLIENT
    row = AuditLog.objects.get(action="accounts.reader_application_rejected")
    assert row.actor == admin_user and row.details["reason"] == "Photo is blurry."
    assert len(mail.outbox) == 1 and "Photo is blurry." in mail.outbox[0].body


def test_reader_application_reject_without_reason_refused(client_user, admin_user):
    # given
    application = reader_application_create(client_user)
    # when / then
    with pytest.raises(InvalidInputError, match="reason"):
        reader_application_reject(actor=admin_user, application_id=application.pk, reason="   ")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PENDING
    assert not AuditLog.objects.filter(action="accounts.reader_application_rejected").exists()


def test_reader_application_reject_email_waits_for_commit(client_user, admin_user, django_capture_on_commit_callbacks):
    # given
    application = reader_application_create(client_user)
    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        reader_application_reject(actor=admin_user, application_id=application.pk, reason="Not now.")
    # then: nothing is sent inside the transaction; one email job is queued for after the commit
    assert len(mail.outbox) == 0
    assert len(callbacks) == 1


def test_reader_application_decision_email_message_run_twice_sends_once(client_user, admin_user):
    # given
    from apps.accounts.emails import reader_application_decision_email_send
    from apps.core.models import OutboxMessage
    from apps.core.outbox import outbox_drain

    application = reader_application_create(client_user)
    reader_application_approve(actor=admin_user, application_id=application.pk)
    # when: the outbox delivers the message, and a worker killed before marking it done runs it again
    assert OutboxMessage.objects.filter(name="accounts.reader_application_decision_email").count() == 1
    assert outbox_drain() == 1
    reader_application_decision_email_send(application_id=application.pk)
    # then
    assert len(mail.outbox) == 1
    assert "/dashboard/" in mail.outbox[0].body


def test_reader_application_reject_broker_down_email_sent_once_by_outbox_sweep(
    client_user, admin_user, django_capture_on_commit_callbacks
):
    # given a broker that refuses every task message
    from unittest import mock

    from apps.core.outbox import outbox_drain

    application = reader_application_create(client_user)
    broker_down = mock.patch("apps.core.tasks.outbox_dispatch_task.delay", side_effect=ConnectionError("broker down"))
    # when the decision commits while it is down
    with broker_down as delay, django_capture_on_commit_callbacks(execute=True):
        reader_application_reject(actor=admin_user, application_id=application.pk, reason="Not now.")
    # then the decision stands, nothing is sent yet, and the sweep sends the email once
    assert delay.called and len(mail.outbox) == 0
    assert outbox_drain() == 1 and outbox_drain() == 0
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [client_user.email]
