"""Trust levels (computed, with an admin's override) and the moderator role (granted and revoked by admins)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.accounts.tests.factories import AdminFactory, ReaderFactory, UserFactory, give_totp
from apps.core.exceptions import PermissionDeniedError, RateLimitedError
from apps.core.models import AuditLog
from apps.messaging.models import Message
from apps.messaging.tests.factories import conversation_with
from apps.moderation import services, trust
from apps.moderation.models import Report
from apps.moderation.roles import is_moderator
from apps.moderation.trust import (
    TrustLevel,
    may_attach_files,
    may_post_links,
    trust_activity_register,
    trust_level,
    trust_rate_limit,
)

pytestmark = pytest.mark.django_db
User = get_user_model()


def _fresh(user):
    return User.objects.get(pk=user.pk)


def _old(user):
    User.objects.filter(pk=user.pk).update(date_joined=timezone.now() - timedelta(days=2))
    return _fresh(user)


def _finished_reading(client):
    from apps.readings.services import session_accept, session_end, session_finalize, session_request
    from apps.readings.tests.helpers import credit, make_reader

    reader = make_reader(rate=Decimal("1.00"))
    credit(client, Decimal("5.00"))
    session = session_request(client=client, reader=reader, modality="text")
    session_accept(reader=reader, session_id=session.pk)
    session_end(actor=client, session_id=session.pk)
    session_finalize(session_id=session.pk)
    return reader


# --- trust levels -------------------------------------------------------------------------------------------


def test_trust_level_new_account_is_new_even_with_a_reading():
    user = UserFactory()
    _finished_reading(user)
    fresh = _fresh(user)
    assert trust_level(fresh) == TrustLevel.NEW
    assert not may_post_links(fresh) and not may_attach_files(fresh)


def test_trust_level_old_account_without_activity_is_new():
    assert trust_level(_old(UserFactory())) == TrustLevel.NEW


def test_trust_level_rises_by_itself_after_a_day_and_a_completed_reading():
    # given a client with a finished reading, and its reader
    user = UserFactory()
    reader = _finished_reading(user)
    # when both accounts are over a day old
    client, reader = _old(user), _old(reader)
    # then both count as taking part
    assert trust_level(client) == TrustLevel.BASIC and trust_level(reader) == TrustLevel.BASIC
    assert may_post_links(client) and may_attach_files(client)


def test_trust_level_admins_and_moderators_trusted():
    admin = AdminFactory()
    moderator = UserFactory()
    services.moderator_grant(actor=admin, user=moderator)
    assert trust_level(admin) == TrustLevel.TRUSTED and trust_level(_fresh(moderator)) == TrustLevel.TRUSTED


def test_trust_override_set_replaces_computed_level_audited_then_cleared():
    # given a brand-new account
    admin, user = AdminFactory(), UserFactory()
    # when an admin trusts it by hand
    services.trust_override_set(actor=admin, user=user, level=TrustLevel.TRUSTED)
    # then
    assert trust_level(_fresh(user)) == TrustLevel.TRUSTED
    audit = AuditLog.objects.get(action="moderation.trust_level_set")
    assert audit.actor == admin and audit.details == {"level": 2, "previous": None}
    # when the override is removed, the computed level is back
    services.trust_override_set(actor=admin, user=user, level=None)
    assert trust_level(_fresh(user)) == TrustLevel.NEW


@pytest.mark.parametrize("level", [7, -1])
def test_trust_override_set_unknown_level_or_non_admin_refused(level):
    user = UserFactory()
    with pytest.raises(Exception) as refused:
        services.trust_override_set(actor=AdminFactory(), user=user, level=level)
    assert refused.value.status_code == 400
    with pytest.raises(PermissionDeniedError):
        services.trust_override_set(actor=ReaderFactory(), user=user, level=TrustLevel.TRUSTED)
    assert trust_level(_fresh(user)) == TrustLevel.NEW


def test_trust_rate_limit_new_accounts_get_the_stricter_limit():
    # given a new account and an established one
    new = UserFactory()
    established = UserFactory()
    services.trust_override_set(actor=AdminFactory(), user=established, level=TrustLevel.BASIC)
    established = _fresh(established)

    def attempts(user) -> int:
        done = 0
        for _ in range(5):
            try:
                trust_rate_limit(user, action="post", normal=(4, 60), new=(2, 60))
            except RateLimitedError as refused:
                assert "try again" in refused.message
                break
            done += 1
        return done

    # when / then
    assert attempts(new) == 2
    assert attempts(established) == 4


def test_trust_activity_register_again_harmless_non_callable_refused():
    count = len(trust.trust_activities())
    trust_activity_register(trust.trust_activities()[0])
    assert len(trust.trust_activities()) == count
    with pytest.raises(ImproperlyConfigured):
        trust_activity_register("not a function")  # type: ignore[arg-type]


def test_staff_user_page_shows_trust_level(admin_client):
    user = UserFactory()
    page = admin_client.get(reverse("staff_accounts:user_detail", args=[user.pk])).content.decode()
    assert 'data-testid="trust-level">New<' in page


# --- moderators ---------------------------------------------------------------------------------------------


def _moderator(admin=None):
    user = UserFactory()
    services.moderator_grant(actor=admin or AdminFactory(), user=user)
    give_totp(user)
    return _fresh(user)


def test_moderator_grant_by_admin_audited_user_told_queue_opens():
    # given an admin and a client
    admin, user = AdminFactory(), UserFactory()
    # when the admin grants the role from the staff page
    browser = Client()
    give_totp(admin)
    browser.force_login(admin)
    response = browser.post(reverse("staff_moderation:user", args=[user.pk]), {"action": "grant"})
    # then the user is a moderator, told, and it is audited
    assert response.status_code == 302 and is_moderator(_fresh(user))
    assert AuditLog.objects.get(action="moderation.moderator_granted").actor == admin
    assert user.notifications.filter(kind="account.moderator_role").exists()
    # and with two-factor on, the queue and its pages open to them
    give_totp(user)
    moderator = Client()
    moderator.force_login(user)
    assert moderator.get(reverse("moderation:queue")).status_code == 200
    assert "Moderation queue" in moderator.get(reverse("pages:home")).content.decode()


def test_moderator_without_two_factor_sent_to_set_it_up():
    user = UserFactory()
    services.moderator_grant(actor=AdminFactory(), user=user)
    browser = Client()
    browser.force_login(user)
    response = browser.get(reverse("moderation:queue"))
    assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")


def test_moderator_grant_by_non_admin_refused_nothing_written():
    moderator = _moderator()
    with pytest.raises(PermissionDeniedError):
        services.moderator_grant(actor=moderator, user=UserFactory())
    assert AuditLog.objects.filter(action="moderation.moderator_granted").count() == 1


def test_moderator_revoke_audited_and_queue_answers_404_again():
    admin = AdminFactory()
    user = _moderator(admin)
    services.moderator_revoke(actor=admin, user=user)
    browser = Client()
    browser.force_login(user)
    assert browser.get(reverse("moderation:queue")).status_code == 404
    assert AuditLog.objects.filter(action="moderation.moderator_revoked", actor=admin).count() == 1
    with pytest.raises(Exception, match="not a moderator"):
        services.moderator_revoke(actor=admin, user=user)


def test_granted_moderator_decides_a_report_and_suspends_from_the_queue():
    # given a reported message and a moderator who is not an admin
    conversation = conversation_with()
    message = Message.objects.create(conversation=conversation, sender=conversation.reader, body="Rude")
    report = services.report_create(
        reporter=conversation.client, type_key="messaging.message", object_id=message.pk, reason="harassment"
    )
    user = _moderator()
    browser = Client()
    browser.force_login(user)
    # when they open the report and suspend the author for a day
    page = browser.get(reverse("moderation:report_detail", args=[report.pk]))
    assert page.status_code == 200 and "Rude" in page.content.decode()
    response = browser.post(
        reverse("moderation:report_detail", args=[report.pk]),
        {"action": "suspend", "suspension_period": "1", "suspension_reason": "Insults.", "note": ""},
    )
    # then
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.moderator == user and report.action == "suspend"
    assert conversation.reader.suspensions.get().created_by == user
    # and the reader's next report page shows the earlier decision
    other = Message.objects.create(conversation=conversation, sender=conversation.reader, body="More")
    again = services.report_create(
        reporter=conversation.client, type_key="messaging.message", object_id=other.pk, reason="spam"
    )
    detail = browser.get(reverse("moderation:report_detail", args=[again.pk])).content.decode()
    assert f"Message #{message.pk}: hide the content and suspend its author" in detail
    assert "Insults." in detail


# --- every queue URL is hidden from non-moderators -------------------------------------------------------------


def _queue_urls() -> list[str]:
    conversation = conversation_with()
    message = Message.objects.create(conversation=conversation, sender=conversation.reader, body="Rude")
    report = services.report_create(
        reporter=conversation.client, type_key="messaging.message", object_id=message.pk, reason="spam"
    )
    return [
        reverse("moderation:queue"),
        reverse("moderation:report_detail", args=[report.pk]),
        reverse("moderation:content", args=["messaging.message", message.pk]),
        reverse("moderation:user", args=[conversation.reader.pk]),
    ]


@pytest.mark.parametrize("who", ["client", "reader", "revoked moderator"])
def test_queue_urls_answer_404_to_non_moderators_nothing_changes(who):
    # given
    urls = _queue_urls()
    if who == "revoked moderator":
        admin = AdminFactory()
        user = _moderator(admin)
        services.moderator_revoke(actor=admin, user=user)
    else:
        user = UserFactory() if who == "client" else ReaderFactory()
        give_totp(user)
    browser = Client()
    browser.force_login(user)
    # when / then
    for url in urls:
        assert browser.get(url).status_code == 404, url
        assert browser.post(url, {"action": "hide", "reason": "x", "period": "1"}).status_code == 404, url
    assert set(Report.objects.values_list("status", flat=True)) == {"open"}
    assert not Message.objects.filter(hidden_at__isnull=False).exists()
