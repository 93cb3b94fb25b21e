"""Admin pages of accounts and core: non-admins get 404 everywhere; admins' decisions are audited."""

import pytest
from django.urls import reverse

from apps.accounts.enums import ApplicationStatus, Role
from apps.accounts.tests.factories import AdminFactory, UserFactory, give_totp, reader_application_create
from apps.core.models import AuditLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def application(other_client_user):
    return reader_application_create(other_client_user)


def _admin_urls(application, user_pk):
    """(method, url) of every admin page this app adds, plus the admin dashboard and the audit log."""
    return [
        ("get", reverse("staff_accounts:application_list")),
        ("get", reverse("staff_accounts:application_detail", args=[application.pk])),
        ("get", reverse("staff_accounts:application_photo", args=[application.pk])),
        ("post", reverse("staff_accounts:application_approve", args=[application.pk])),
        ("post", reverse("staff_accounts:application_reject", args=[application.pk])),
        ("get", reverse("staff_accounts:user_list")),
        ("get", reverse("staff_accounts:user_detail", args=[user_pk])),
        ("post", reverse("staff_accounts:user_detail", args=[user_pk])),
        ("get", reverse("staff_core:audit_log")),
        ("get", reverse("dashboards:admin")),
    ]


@pytest.mark.parametrize("role", [Role.CLIENT, Role.READER])
def test_admin_views_non_admin_gets_404_and_nothing_changes(client, application, role):
    # given
    user = UserFactory(role=role)
    client.force_login(user)
    # when
    responses = []
    for method, url in _admin_urls(application, user.pk):
        data = {"reason": "x", "role": "admin"} if method == "post" else None
        responses.append((url, getattr(client, method)(url, data).status_code))
    # then
    assert all(status == 404 for _, status in responses), responses
    application.refresh_from_db()
    user.refresh_from_db()
    assert application.status == ApplicationStatus.PENDING
    assert user.role == role and not user.is_staff
    assert not AuditLog.objects.exists()


def test_admin_views_anonymous_redirected_to_login(client, application, client_user):
    for method, url in _admin_urls(application, client_user.pk):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and reverse("account_login") in response["Location"], url


def test_admin_views_admin_without_totp_redirected_to_mfa_activation(client, application, admin_user):
    # given: an admin who has not set up TOTP
    client.force_login(admin_user)
    # when / then
    for method, url in [*_admin_urls(application, admin_user.pk), ("get", "/admin/")]:
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"] == reverse("mfa_activate_totp"), url
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PENDING


def test_admin_views_admin_with_totp_gets_through(admin_client, application, admin_user):
    for url in [
        reverse("staff_accounts:application_list"),
        reverse("staff_accounts:application_detail", args=[application.pk]),
        reverse("staff_accounts:application_photo", args=[application.pk]),
        reverse("staff_accounts:user_list"),
        reverse("staff_accounts:user_detail", args=[admin_user.pk]),
        reverse("staff_core:audit_log"),
        reverse("dashboards:admin"),
        "/admin/",
    ]:
        assert admin_client.get(url).status_code == 200, url


def test_application_list_pending_first_and_paginated(admin_client, admin_user):
    # given: 21 decided applications created before one pending application
    for _ in range(21):
        decided = reader_application_create(UserFactory())
        decided.status = ApplicationStatus.REJECTED
        decided.decision_reason = "No"
        decided.save()
    pending = reader_application_create(UserFactory(email="waiting@example.com"))
    # when
    first = admin_client.get(reverse("staff_accounts:application_list"))
    second = admin_client.get(reverse("staff_accounts:application_list"), {"page": 2})
    # then
    assert first.context["page"].object_list[0] == pending
    assert first.context["page"].paginator.num_pages == 2
    assert len(second.context["page"].object_list) == 2
    assert 'rel="next"' in first.content.decode()


def test_application_list_filter_by_status(admin_client, application):
    response = admin_client.get(reverse("staff_accounts:application_list"), {"status": "approved"})
    assert list(response.context["page"].object_list) == []


def test_application_approve_view_makes_reader_and_audits(admin_client, admin_user, application):
    # when
    response = admin_client.post(reverse("staff_accounts:application_approve", args=[application.pk]))
    # then
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    assert application.applicant.role == Role.READER
    assert AuditLog.objects.filter(action="accounts.reader_application_approved", actor=admin_user).count() == 1


def test_application_approve_view_twice_shows_error_and_changes_nothing(admin_client, application):
    # given
    admin_client.post(reverse("staff_accounts:application_approve", args=[application.pk]))
    count = AuditLog.objects.count()
    # when
    response = admin_client.post(reverse("staff_accounts:application_approve", args=[application.pk]), follow=True)
    # then
    assert "already approved" in response.content.decode()
    assert AuditLog.objects.count() == count


def test_application_reject_view_without_reason_shows_error_and_changes_nothing(admin_client, application):
    # when
    response = admin_client.post(reverse("staff_accounts:application_reject", args=[application.pk]), {"reason": ""})
    # then
    assert response.status_code == 400
    content = response.content.decode()
    assert 'aria-invalid="true"' in content and 'id="id_reason_error"' in content
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PENDING
    assert not AuditLog.objects.exists()


def test_application_reject_view_with_reason_rejects_and_audits(admin_client, admin_user, application):
    # when
    admin_client.post(reverse("staff_accounts:application_reject", args=[application.pk]), {"reason": "Blurry photo"})
    # then
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REJECTED and application.decision_reason == "Blurry photo"
    assert AuditLog.objects.filter(action="accounts.reader_application_rejected", actor=admin_user).count() == 1


def test_user_list_search_by_email(admin_client):
    # given
    UserFactory(email="moonchild@example.com")
    UserFactory(email="sunny@example.com")
    # when
    response = admin_client.get(reverse("staff_accounts:user_list"), {"q": "MOON"})
    # then
    assert [user.email for user in response.context["page"].object_list] == ["moonchild@example.com"]


def test_user_detail_role_change_audited(admin_client, admin_user, client_user):
    # when
    response = admin_client.post(
        reverse("staff_accounts:user_detail", args=[client_user.pk]), {"role": "reader", "reason": "Known reader"}
    )
    # then
    assert response.status_code == 302
    client_user.refresh_from_db()
    assert client_user.role == Role.READER
    row = AuditLog.objects.get(action="accounts.role_changed")
    assert row.actor == admin_user and row.details["reason"] == "Known reader"


def test_user_detail_role_change_without_reason_refused(admin_client, client_user):
    response = admin_client.post(reverse("staff_accounts:user_detail", args=[client_user.pk]), {"role": "admin"})
    assert response.status_code == 400
    client_user.refresh_from_db()
    assert client_user.role == Role.CLIENT and not AuditLog.objects.exists()


def test_user_detail_self_demotion_refused(admin_client, admin_user):
    # when
    response = admin_client.post(
        reverse("staff_accounts:user_detail", args=[admin_user.pk]), {"role": "client", "reason": "Stepping down"}
    )
    # then
    assert response.status_code == 400
    assert "your own admin role" in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.role == Role.ADMIN and admin_user.is_staff


def test_demoted_admin_loses_admin_pages(client, admin_user):
    # given: a second admin demotes the first
    other = AdminFactory()
    give_totp(other)
    give_totp(admin_user)
    client.force_login(other)
    client.post(reverse("staff_accounts:user_detail", args=[admin_user.pk]), {"role": "client", "reason": "Left"})
    # when
    client.force_login(admin_user)
    # then
    assert client.get(reverse("staff_accounts:user_list")).status_code == 404
    assert client.get(reverse("dashboards:admin")).status_code == 404


def test_audit_log_viewer_filters_by_action_actor_and_target(admin_client, admin_user, client_user, reader_user):
    # given
    from apps.accounts.services import user_set_role

    user_set_role(actor=admin_user, user_id=client_user.pk, role=Role.READER, reason="one")
    user_set_role(actor=admin_user, user_id=reader_user.pk, role=Role.CLIENT, reason="two")
    url = reverse("staff_core:audit_log")
    # when
    by_target = admin_client.get(url, {"target": f"accounts.user:{client_user.pk}"})
    by_actor = admin_client.get(url, {"actor": admin_user.email.upper()})
    by_action = admin_client.get(url, {"action": "wallet."})
    # then
    assert [row.details["reason"] for row in by_target.context["page"].object_list] == ["one"]
    assert len(by_actor.context["page"].object_list) == 2
    assert list(by_action.context["page"].object_list) == []
    assert "No audit entries" in by_action.content.decode()


def test_audit_log_viewer_is_read_only(admin_client):
    response = admin_client.post(reverse("staff_core:audit_log"))
    assert response.status_code == 405


def test_user_detail_lists_the_persons_applications(admin_client, client_user):
    application = reader_application_create(client_user)
    response = admin_client.get(reverse("staff_accounts:user_detail", args=[client_user.pk]))
    assert reverse("staff_accounts:application_detail", args=[application.pk]) in response.content.decode()


@pytest.mark.parametrize("name", ["staff_accounts:application_approve", "staff_accounts:application_reject"])
def test_staff_application_decision_unknown_id_answers_404(admin_client, name):
    # given: no application 987654 exists
    # when
    response = admin_client.post(reverse(name, kwargs={"application_id": 987654}), {"reason": "Not a fit."})
    # then
    assert response.status_code == 404
    assert not AuditLog.objects.filter(action__startswith="accounts.application").exists()
