from datetime import timedelta

import pytest

from apps.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from apps.core.models import AuditLog
from apps.privacy.enums import DeletionStatus
from apps.privacy.models import DeletionRequest
from apps.privacy.services import deletion_cancel, deletion_confirm, deletion_request, deletion_run_one, deletion_token
from tests.support.racing import race, race_all_succeed


def _scheduled(user) -> DeletionRequest:
    deletion = deletion_request(user=user, password=DEFAULT_PASSWORD)
    return deletion_confirm(user=user, token=deletion_token(deletion))


@pytest.mark.django_db(transaction=True)
def test_two_deletion_runs_at_once_anonymise_the_account_once():
    # given
    user = UserFactory()
    deletion = _scheduled(user)
    due = deletion.scheduled_for + timedelta(minutes=1)
    # when
    outcomes = race_all_succeed(
        lambda: deletion_run_one(request_id=deletion.pk, now=due),
        lambda: deletion_run_one(request_id=deletion.pk, now=due),
    )
    # then
    assert sorted(outcomes) == [False, True]
    assert AuditLog.objects.filter(action="privacy.account_deleted", target_id=str(user.pk)).count() == 1
    assert DeletionRequest.objects.get(pk=deletion.pk).status == DeletionStatus.COMPLETED


@pytest.mark.django_db(transaction=True)
def test_cancel_racing_the_deletion_run_either_keeps_or_deletes_never_both():
    # given
    user = UserFactory()
    deletion = _scheduled(user)
    due = deletion.scheduled_for + timedelta(minutes=1)
    # when
    ran, cancelled = race(
        lambda: deletion_run_one(request_id=deletion.pk, now=due),
        lambda: deletion_cancel(user=user),
    )
    # then: whoever took the user's lock first decided
    deletion.refresh_from_db()
    user.refresh_from_db()
    if ran is True:
        assert deletion.status == DeletionStatus.COMPLETED and not user.is_active
        assert isinstance(cancelled, Exception)
    else:
        assert deletion.status == DeletionStatus.CANCELLED and user.is_active
