import pytest
from django.db import DatabaseError, connection, transaction

from apps.core.models import AuditLog
from apps.core.services import audit_log_record


@pytest.mark.django_db
def test_audit_log_record_stores_actor_target_details_and_ip(rf, admin_user):
    # given
    request = rf.post("/", REMOTE_ADDR="203.0.113.9")
    # when
    row = audit_log_record(
        actor=admin_user, action="test.action", target=admin_user, details={"reason": "x"}, request=request
    )
    # then
    row.refresh_from_db()
    assert row.actor == admin_user
    assert (row.target_type, row.target_id) == ("accounts.user", str(admin_user.pk))
    assert row.details == {"reason": "x"}
    assert row.ip_address == "203.0.113.9"


@pytest.mark.django_db
def test_audit_log_update_and_delete_refused_by_model_and_queryset(admin_user):
    row = audit_log_record(actor=admin_user, action="test.action")
    with pytest.raises(PermissionError):
        row.save()
    with pytest.raises(PermissionError):
        row.delete()
    with pytest.raises(PermissionError):
        AuditLog.objects.filter(pk=row.pk).update(action="changed")
    with pytest.raises(PermissionError):
        AuditLog.objects.all().delete()
    assert AuditLog.objects.get(pk=row.pk).action == "test.action"


@pytest.mark.django_db
def test_audit_log_raw_sql_update_and_delete_refused_by_trigger(admin_user):
    row = audit_log_record(actor=admin_user, action="test.action")
    for sql in ("UPDATE core_auditlog SET action = 'x' WHERE id = %s", "DELETE FROM core_auditlog WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [row.pk])
    assert AuditLog.objects.get(pk=row.pk).action == "test.action"


def test_client_ip_without_trusted_proxy_uses_remote_addr_and_ignores_forwarded(rf, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    from apps.core.services import client_ip

    request = rf.get("/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert client_ip(request) == "198.51.100.7"


def test_client_ip_behind_one_proxy_takes_the_entry_the_proxy_appended(rf, settings):
    # given: the client forged a first entry; the router appended the real address
    settings.TRUSTED_PROXY_COUNT = 1
    from apps.core.services import client_ip

    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.20")
    # then
    assert client_ip(request) == "203.0.113.20"
