import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.accounts.enums import Role
from apps.accounts.exceptions import InvalidInputError
from apps.accounts.services import user_set_role
from apps.accounts.tests.factories import AdminFactory
from apps.core.exceptions import InvalidStateError, PermissionDeniedError
from apps.core.models import AuditLog
from apps.readers.models import ReaderProfile

pytestmark = pytest.mark.django_db


def test_user_set_role_promote_client_to_admin_sets_staff_and_audits(client_user, admin_user):
    # when
    user_set_role(actor=admin_user, user_id=client_user.pk, role=Role.ADMIN, reason="Joins the support team")
    # then
    client_user.refresh_from_db()
    assert client_user.role == Role.ADMIN and client_user.is_staff and client_user.is_superuser
    row = AuditLog.objects.get(action="accounts.role_changed", target_id=str(client_user.pk))
    assert row.actor == admin_user
    assert row.details == {"from": "client", "to": "admin", "reason": "Joins the support team"}


def test_user_set_role_demote_admin_to_client_clears_staff(admin_user):
    # given
    other_admin = AdminFactory()
    # when
    user_set_role(actor=admin_user, user_id=other_admin.pk, role=Role.CLIENT, reason="Left the team")
    # then
    other_admin.refresh_from_db()
    assert other_admin.role == Role.CLIENT and not other_admin.is_staff and not other_admin.is_superuser


def test_user_set_role_promote_client_to_reader_makes_their_unpublished_profile_their_pages_create_none(
    client, client_user, admin_user
):
    # when an admin promotes a client to reader (no application)
    user_set_role(actor=admin_user, user_id=client_user.pk, role=Role.READER, reason="Reads at our events")
    # then their reader profile exists, unpublished, made in the same transaction
    profile = ReaderProfile.objects.get(user=client_user)
    assert not profile.is_published and profile.display_name == client_user.public_name[:60]
    # and the reader's dashboard and profile page, opened for the first time, read it and create none
    client.force_login(client_user)
    for url in (reverse("dashboards:reader"), reverse("readers:dashboard_profile")):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200, url
        sql = [q["sql"] for q in captured.captured_queries]
        assert not [q for q in sql if q.lstrip().startswith('INSERT INTO "readers_readerprofile"')], url
    assert ReaderProfile.objects.filter(user=client_user).count() == 1


def test_user_set_role_demote_reader_to_client(reader_user, admin_user):
    user_set_role(actor=admin_user, user_id=reader_user.pk, role=Role.CLIENT, reason="Asked to stop reading")
    reader_user.refresh_from_db()
    assert reader_user.role == Role.CLIENT


def test_user_set_role_self_demotion_refused(admin_user):
    # when / then
    with pytest.raises(PermissionDeniedError, match="your own admin role"):
        user_set_role(actor=admin_user, user_id=admin_user.pk, role=Role.CLIENT, reason="Stepping down")
    admin_user.refresh_from_db()
    assert admin_user.role == Role.ADMIN and admin_user.is_staff
    assert not AuditLog.objects.filter(action="accounts.role_changed").exists()


def test_user_set_role_without_reason_refused(client_user, admin_user):
    with pytest.raises(InvalidInputError):
        user_set_role(actor=admin_user, user_id=client_user.pk, role=Role.READER, reason=" ")
    client_user.refresh_from_db()
    assert client_user.role == Role.CLIENT


def test_user_set_role_same_role_refused(client_user, admin_user):
    with pytest.raises(InvalidStateError):
        user_set_role(actor=admin_user, user_id=client_user.pk, role=Role.CLIENT, reason="No change")
    assert not AuditLog.objects.exists()


def test_user_set_role_by_non_admin_refused(client_user, reader_user):
    with pytest.raises(PermissionDeniedError):
        user_set_role(actor=reader_user, user_id=client_user.pk, role=Role.ADMIN, reason="Let me in")
    client_user.refresh_from_db()
    assert client_user.role == Role.CLIENT and not client_user.is_staff


def test_user_set_role_unknown_role_refused(client_user, admin_user):
    with pytest.raises(InvalidInputError):
        user_set_role(actor=admin_user, user_id=client_user.pk, role="superhero", reason="Because")
