"""Admin pages that Django and allauth bring are audited like our own."""

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.sites.models import Site
from django.urls import reverse

from apps.accounts.tests.factories import UserFactory, give_totp
from apps.core.models import AuditLog

pytestmark = pytest.mark.django_db


def test_admin_email_address_mark_verified_action_audits_each_address(admin_client, admin_user):
    # given
    person = UserFactory(verified=False)
    address = EmailAddress.objects.get(user=person)
    # when
    response = admin_client.post(
        reverse("admin:account_emailaddress_changelist"),
        {"action": "make_verified", "_selected_action": [address.pk]},
    )
    # then
    assert response.status_code == 302
    address.refresh_from_db()
    assert address.verified
    log = AuditLog.objects.get(action="account.emailaddress.verified")
    assert log.actor == admin_user
    assert log.target_id == str(address.pk)
    assert log.details["user_id"] == person.pk


def test_admin_email_address_change_form_audits_changed_fields(admin_client, admin_user):
    # given
    person = UserFactory(verified=False)
    address = EmailAddress.objects.get(user=person)
    # when
    response = admin_client.post(
        reverse("admin:account_emailaddress_change", args=[address.pk]),
        {"user": person.pk, "email": address.email, "verified": "on", "primary": "on"},
    )
    # then
    assert response.status_code == 302
    log = AuditLog.objects.get(action="account.emailaddress.changed")
    assert log.actor == admin_user
    assert log.details["fields"] == ["verified"]


def test_admin_authenticator_delete_resets_two_factor_and_audits(admin_client, admin_user):
    # given
    person = UserFactory()
    give_totp(person)
    authenticator = Authenticator.objects.get(user=person)
    # when
    response = admin_client.post(reverse("admin:mfa_authenticator_delete", args=[authenticator.pk]), {"post": "yes"})
    # then
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=person).exists()
    log = AuditLog.objects.get(action="mfa.authenticator.deleted")
    assert log.actor == admin_user
    assert log.target_id == str(authenticator.pk)


def test_admin_site_domain_change_audits(admin_client, admin_user):
    # given
    site = Site.objects.get_current()
    # when
    response = admin_client.post(
        reverse("admin:sites_site_change", args=[site.pk]), {"domain": "soulseer.example.com", "name": site.name}
    )
    # then
    assert response.status_code == 302
    log = AuditLog.objects.get(action="sites.site.changed")
    assert log.details["fields"] == ["domain"]
