"""Two moderators acting on the same content at the same moment: exactly one decision lands and is audited."""

from decimal import Decimal

import pytest

from apps.accounts.tests.factories import AdminFactory, UserFactory
from apps.core.exceptions import DomainError
from apps.core.models import AuditLog
from apps.moderation import services
from apps.readers.models import ReaderProfile
from apps.readings.models import Review
from apps.readings.services import session_accept, session_end, session_finalize, session_request
from apps.readings.tests.helpers import credit, make_reader
from tests.support.racing import race

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]
REVIEW = "readings.review"


def _review() -> Review:
    client = UserFactory()
    reader = make_reader(rate=Decimal("1.00"))
    credit(client, Decimal("5.00"))
    session = session_request(client=client, reader=reader, modality="text")
    session_accept(reader=reader, session_id=session.pk)
    session_end(actor=client, session_id=session.pk)
    session_finalize(session_id=session.pk)
    return Review.objects.create(session=session, client=client, reader=reader, rating=1, body="Abuse")


@pytest.mark.parametrize("action", ["hide", "unhide"])
def test_content_hide_or_unhide_concurrent_twice_one_lands_one_refused(action):
    # given a review (hidden first when the race is about showing it again), with no report to lock
    review = _review()
    first, second = AdminFactory(), AdminFactory()
    if action == "unhide":
        services.content_hide(actor=first, type_key=REVIEW, object_id=review.pk, reason="Abuse")

    def decide(moderator):
        if action == "hide":
            return services.content_hide(actor=moderator, type_key=REVIEW, object_id=review.pk, reason="Abuse")
        return services.content_unhide(actor=moderator, type_key=REVIEW, object_id=review.pk)

    # when
    outcomes = race(lambda: decide(first), lambda: decide(second))
    # then
    assert sum(isinstance(outcome, Review) for outcome in outcomes) == 1
    assert sum(isinstance(outcome, DomainError) for outcome in outcomes) == 1
    assert AuditLog.objects.filter(action=f"moderation.content_{action[:-1]}den").count() == 1
    review.refresh_from_db()
    profile = ReaderProfile.objects.get(user=review.reader)
    assert review.is_hidden is (action == "hide")
    assert profile.rating_count == (0 if action == "hide" else 1)


@pytest.mark.parametrize("second", ["suspend", "lift"])
def test_user_suspend_concurrent_with_another_suspend_or_lift_leaves_one_outcome(second):
    # given a user (already suspended when the race is about lifting)
    from django.db.models import Q
    from django.utils import timezone

    from apps.moderation.models import Suspension

    user = UserFactory()
    first, other = AdminFactory(), AdminFactory()
    if second == "lift":
        services.user_suspend(moderator=first, user=user, reason="Earlier", until=None)

    def suspend():
        return services.user_suspend(moderator=first, user=user, reason="Spam", until=None)

    def act():
        if second == "suspend":
            return services.user_suspend(moderator=other, user=user, reason="Threats", until=None)
        return services.user_suspension_lift(moderator=other, user=user)

    # when
    outcomes = race(suspend, act)
    # then the user's row lock put them in order: at most one suspension in force, each action audited once
    assert not any(isinstance(outcome, Exception) for outcome in outcomes), outcomes
    now = timezone.now()
    in_force = Suspension.objects.filter(user=user, lifted_at__isnull=True).filter(
        Q(ends_at__isnull=True) | Q(ends_at__gt=now)
    )
    # two suspensions: the later replaced the earlier; a lift and a suspension: whichever came last stands
    assert in_force.count() == 1 if second == "suspend" else in_force.count() <= 1
    assert AuditLog.objects.filter(action="moderation.user_suspended").count() == 2
    assert AuditLog.objects.filter(action="moderation.user_suspension_lifted").count() == (second == "lift")
