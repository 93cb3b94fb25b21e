import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command

from apps.accounts.enums import Role
from apps.accounts.models import User
from apps.core.models import AuditLog


@pytest.mark.django_db
def test_ensure_admin_with_env_creates_verified_admin_once(monkeypatch, capsys):
    # given
    monkeypatch.setenv("SOULSEER_ADMIN_EMAIL", "Owner@Example.com")
    monkeypatch.setenv("SOULSEER_ADMIN_PASSWORD", "a-long-owner-passphrase-9")
    # when
    call_command("ensure_admin")
    call_command("ensure_admin")
    # then
    admin = User.objects.get(email="owner@example.com")
    assert admin.role == Role.ADMIN and admin.is_staff and admin.is_superuser
    assert admin.check_password("a-long-owner-passphrase-9")
    assert EmailAddress.objects.get(user=admin).verified
    assert AuditLog.objects.filter(action="accounts.admin_created", target_id=str(admin.pk)).count() == 1
    assert "already exists" in capsys.readouterr().out


@pytest.mark.django_db
def test_ensure_admin_without_env_creates_nobody_and_explains(monkeypatch, capsys):
    monkeypatch.delenv("SOULSEER_ADMIN_EMAIL", raising=False)
    monkeypatch.delenv("SOULSEER_ADMIN_PASSWORD", raising=False)
    call_command("ensure_admin")
    assert not User.objects.exists()
    assert "SOULSEER_ADMIN_EMAIL" in capsys.readouterr().out


@pytest.mark.django_db
def test_ensure_admin_without_env_and_an_admin_exists_says_so_and_creates_nobody(monkeypatch, capsys, admin_user):
    # given
    monkeypatch.delenv("SOULSEER_ADMIN_EMAIL", raising=False)
    monkeypatch.delenv("SOULSEER_ADMIN_PASSWORD", raising=False)
    # when
    call_command("ensure_admin")
    # then
    assert User.objects.count() == 1
    out = capsys.readouterr().out
    assert "An admin account already exists" in out
    assert "No admin created" not in out
