"""Two admins deciding the same application at the same moment: the row lock lets exactly one through."""

import pytest

from apps.accounts.enums import ApplicationStatus, Role
from apps.accounts.services import reader_application_approve, reader_application_reject
from apps.accounts.tests.factories import AdminFactory, UserFactory, reader_application_create
from apps.core.exceptions import InvalidStateError
from apps.core.models import AuditLog
from tests.support.racing import race

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def test_reader_application_approve_concurrent_twice_one_succeeds_one_refused():
    # given
    applicant = UserFactory()
    first_admin, second_admin = AdminFactory(), AdminFactory()
    application = reader_application_create(applicant)
    # when
    outcomes = race(
        lambda: reader_application_approve(actor=first_admin, application_id=application.pk),
        lambda: reader_application_approve(actor=second_admin, application_id=application.pk),
    )
    # then
    errors = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert len(outcomes) == 2 and len(errors) == 1
    assert isinstance(errors[0], InvalidStateError)
    applicant.refresh_from_db()
    assert applicant.role == Role.READER
    assert AuditLog.objects.filter(action="accounts.role_changed").count() == 1
    assert AuditLog.objects.filter(action="accounts.reader_application_approved").count() == 1


def test_reader_application_approve_and_reject_concurrent_exactly_one_decision():
    # given
    applicant = UserFactory()
    first_admin, second_admin = AdminFactory(), AdminFactory()
    application = reader_application_create(applicant)
    # when
    outcomes = race(
        lambda: reader_application_approve(actor=first_admin, application_id=application.pk),
        lambda: reader_application_reject(actor=second_admin, application_id=application.pk, reason="No"),
    )
    # then
    assert sum(isinstance(outcome, InvalidStateError) for outcome in outcomes) == 1
    application.refresh_from_db()
    applicant.refresh_from_db()
    assert application.status in {ApplicationStatus.APPROVED, ApplicationStatus.REJECTED}
    assert (applicant.role == Role.READER) == (application.status == ApplicationStatus.APPROVED)
    decisions = AuditLog.objects.filter(action__startswith="accounts.reader_application_").exclude(
        action="accounts.reader_application_submitted"
    )
    assert decisions.count() == 1
