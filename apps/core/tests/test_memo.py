import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.models import User
from apps.accounts.tests.factories import UserFactory
from apps.core.memo import reads_shared, shared_read


@shared_read
def _user_email(*, user: User) -> str:
    return User.objects.values_list("email", flat=True).get(pk=user.pk)


@shared_read
def _missing(*, pk: int) -> User:
    return User.objects.get(pk=pk)


@shared_read
def _count_of(*, pks: list[int]) -> int:
    return User.objects.filter(pk__in=pks).count()


def _queries(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


@pytest.mark.django_db
def test_shared_read_outside_a_shared_block_reads_every_time():
    user = UserFactory()
    assert _queries(lambda: [_user_email(user=user) for _ in range(3)]) == 3


@pytest.mark.django_db
def test_shared_read_inside_a_block_reads_once_per_row_and_again_after_it():
    user, other = UserFactory(), UserFactory()
    with reads_shared():
        # the same row given as another instance of it is the same read; another row is another read
        emails = []
        count = _queries(
            lambda: emails.extend(
                [_user_email(user=user), _user_email(user=User.objects.get(pk=user.pk)), _user_email(user=other)]
            )
        )
    assert count == 3  # two reads of emails and the User.objects.get above
    assert emails == [user.email, user.email, other.email]
    # after the block, each call reads again and sees what changed
    User.objects.filter(pk=user.pk).update(email="changed@example.com")
    assert _user_email(user=user) == "changed@example.com"


@pytest.mark.django_db
def test_shared_read_keeps_no_exception_and_reads_unhashable_arguments_every_time():
    with reads_shared():
        for _ in range(2):
            with pytest.raises(User.DoesNotExist):
                _missing(pk=0)
        user = UserFactory()
        assert _missing(pk=user.pk) == user  # the row created after the miss is found
        assert _queries(lambda: [_count_of(pks=[user.pk]) for _ in range(2)]) == 2
