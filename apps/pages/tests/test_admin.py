"""Policies and help articles are edited in the Django admin; every admin save and delete writes an audit row."""

import pytest
from django.urls import reverse

from apps.core.models import AuditLog
from apps.pages.models import HelpArticle, Policy

from .factories import HelpArticleFactory

pytestmark = pytest.mark.django_db


def test_admin_policy_change_bumps_version_and_audits(admin_client, admin_user, policies):
    # given
    policy = Policy.objects.get(slug="privacy")
    published = policy.version
    url = reverse("admin:pages_policy_change", args=[policy.pk])
    # when
    response = admin_client.post(url, {"title": "Privacy Policy", "body": policy.body + "\n\nOne more paragraph."})
    # then
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.version == published + 1
    row = AuditLog.objects.get(action="pages.policy.updated")
    assert (row.actor, row.target_id) == (admin_user, str(policy.pk))
    assert row.details["changed_fields"] == ["body"]


def test_admin_policy_add_and_delete_are_not_offered(admin_client, policies):
    # given
    policy = Policy.objects.get(slug="terms")
    # when / then
    assert admin_client.get(reverse("admin:pages_policy_add")).status_code == 403
    assert admin_client.post(reverse("admin:pages_policy_delete", args=[policy.pk]), {"post": "yes"}).status_code == 403
    assert Policy.objects.filter(pk=policy.pk).exists()


def test_admin_help_article_add_and_change_audit_each_save(admin_client, admin_user):
    # given
    data = {"title": "Topping up", "slug": "topping-up", "category": "Wallet", "body": "Use Stripe.", "order": 0}
    # when
    added = admin_client.post(reverse("admin:pages_helparticle_add"), data)
    article = HelpArticle.objects.get(slug="topping-up")
    changed = admin_client.post(
        reverse("admin:pages_helparticle_change", args=[article.pk]), {**data, "is_published": "on"}
    )
    # then
    assert added.status_code == changed.status_code == 302
    assert HelpArticle.objects.get(pk=article.pk).is_published is True
    actions = list(AuditLog.objects.filter(actor=admin_user).order_by("pk").values_list("action", flat=True))
    assert actions == ["pages.help_article.created", "pages.help_article.updated"]


def test_admin_help_article_delete_audits(admin_client, admin_user):
    # given
    article = HelpArticleFactory()
    # when
    response = admin_client.post(reverse("admin:pages_helparticle_delete", args=[article.pk]), {"post": "yes"})
    # then
    assert response.status_code == 302
    assert not HelpArticle.objects.filter(pk=article.pk).exists()
    assert AuditLog.objects.filter(action="pages.help_article.deleted", actor=admin_user).count() == 1


def test_admin_help_article_bulk_delete_audits_every_article(admin_client, admin_user):
    # given
    articles = [HelpArticleFactory(), HelpArticleFactory()]
    # when
    response = admin_client.post(
        reverse("admin:pages_helparticle_changelist"),
        {"action": "delete_selected", "_selected_action": [a.pk for a in articles], "post": "yes"},
    )
    # then
    assert response.status_code == 302
    assert not HelpArticle.objects.exists()
    deleted = set(AuditLog.objects.filter(action="pages.help_article.deleted").values_list("target_id", flat=True))
    assert deleted == {str(a.pk) for a in articles}


def test_admin_support_tickets_are_read_only(admin_client):
    # when / then
    assert admin_client.get(reverse("admin:pages_supportticket_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:pages_supportticket_add")).status_code == 403


def test_admin_help_article_non_admin_cannot_open(client, client_user):
    # given
    client.force_login(client_user)
    # when
    response = client.get(reverse("admin:pages_helparticle_changelist"))
    # then: Django's admin sends non-staff users to its login page
    assert response.status_code == 302
    assert not AuditLog.objects.exists()
