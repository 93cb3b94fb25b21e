import pytest
from django.core.exceptions import ValidationError

from apps.core.models import AuditLog
from apps.pages import services
from apps.pages.models import HelpArticle, Policy

from .factories import HelpArticleFactory

pytestmark = pytest.mark.django_db


def test_initial_policies_exist_with_careful_encryption_wording(policies):
    # given / when: the policies of the data migration
    # then
    assert set(policies) == {"terms", "privacy", "refunds"}
    privacy = policies["privacy"].body
    assert "TLS (HTTPS)" in privacy
    assert "Agora" in privacy
    assert "NOT end-to-end encrypted" in privacy
    assert "We do not claim that voice or video readings are end-to-end encrypted" in privacy
    terms = policies["terms"].body
    assert "Readers keep 70%" in terms
    assert "Every started minute is charged in full" in terms
    assert "never pass through or get stored on SoulSeer's servers" in terms
    refunds = policies["refunds"].body
    for rule in (
        "24 hours or more before the start: 100% refund",
        "between 24 hours and 2 hours before the start: 50% refund",
        "or you do not attend: no refund",
        "The reader cancels, at any time: 100% refund",
    ):
        assert rule in refunds
    assert "account is frozen" in refunds


def test_policy_record_edit_body_changed_bumps_version_and_audits(admin_user, policies):
    # given
    policy = Policy.objects.get(slug="terms")
    version = policy.version
    policy.body = policy.body + "\n\nA new closing paragraph."
    # when
    services.policy_record_edit(actor=admin_user, policy=policy, changed_fields=["body"])
    # then
    policy.refresh_from_db()
    assert policy.version == version + 1
    assert policy.body.endswith("A new closing paragraph.")
    row = AuditLog.objects.get(action="pages.policy.updated")
    assert row.actor == admin_user
    assert (row.target_type, row.target_id) == ("pages.policy", str(policy.pk))
    assert row.details == {"slug": "terms", "version": version + 1, "changed_fields": ["body"]}


def test_policy_record_edit_nothing_changed_keeps_version_and_still_audits(admin_user, policies):
    # given
    policy = Policy.objects.get(slug="privacy")
    version = policy.version
    # when
    services.policy_record_edit(actor=admin_user, policy=policy, changed_fields=[])
    # then
    policy.refresh_from_db()
    assert policy.version == version
    assert AuditLog.objects.filter(action="pages.policy.updated", target_id=str(policy.pk)).count() == 1


def test_policy_record_edit_empty_body_raises_and_changes_nothing(admin_user, policies):
    # given
    policy = Policy.objects.get(slug="refunds")
    original = policy.body
    policy.body = ""
    # when
    with pytest.raises(ValidationError):
        services.policy_record_edit(actor=admin_user, policy=policy, changed_fields=["body"])
    # then
    policy.refresh_from_db()
    assert policy.body == original
    assert not AuditLog.objects.filter(action="pages.policy.updated").exists()


def test_help_article_record_save_new_article_audits_created(admin_user):
    # given
    article = HelpArticle(title="Topping up", slug="topping-up", body="Use Stripe Checkout.", is_published=True)
    # when
    services.help_article_record_save(actor=admin_user, article=article, changed_fields=["title", "slug", "body"])
    # then
    assert HelpArticle.objects.filter(slug="topping-up").exists()
    row = AuditLog.objects.get(action="pages.help_article.created")
    assert row.target_id == str(article.pk)
    assert row.details["is_published"] is True


def test_help_article_record_save_existing_article_audits_updated(admin_user):
    # given
    article = HelpArticleFactory(is_published=False)
    article.is_published = True
    # when
    services.help_article_record_save(actor=admin_user, article=article, changed_fields=["is_published"])
    # then
    assert HelpArticle.objects.get(pk=article.pk).is_published is True
    row = AuditLog.objects.get(action="pages.help_article.updated")
    assert row.details["changed_fields"] == ["is_published"]


def test_help_article_record_save_reserved_slug_raises_and_writes_nothing(admin_user):
    # given: /help/contact/ is the contact form
    article = HelpArticle(title="Contact", slug="contact", body="Body.")
    # when
    with pytest.raises(ValidationError) as excinfo:
        services.help_article_record_save(actor=admin_user, article=article, changed_fields=["slug"])
    # then
    assert "slug" in excinfo.value.message_dict
    assert not HelpArticle.objects.exists()
    assert not AuditLog.objects.exists()


def test_help_article_record_delete_removes_article_and_audits_title(admin_user):
    # given
    article = HelpArticleFactory(title="Old article")
    pk = article.pk
    # when
    services.help_article_record_delete(actor=admin_user, article=article)
    # then
    assert not HelpArticle.objects.filter(pk=pk).exists()
    row = AuditLog.objects.get(action="pages.help_article.deleted")
    assert row.target_id == str(pk)
    assert row.details["title"] == "Old article"
