import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from apps.accounts.tests.factories import give_totp
from apps.dashboards import onboarding
from apps.dashboards.onboarding import OnboardingStep, onboarding_checklist, onboarding_step_register

pytestmark = pytest.mark.django_db


def _states(user):
    return {item.key: item.is_done for item in onboarding_checklist(user=user, role="reader")}


def test_reader_dashboard_new_reader_sees_every_step_to_do(client, reader_user):
    # given: a reader just approved, with an empty profile and no two-factor
    client.force_login(reader_user)
    # when
    content = client.get(reverse("dashboards:reader")).content.decode()
    # then
    assert _states(reader_user) == {"reader-profile": False, "reader-publish": False, "two-factor": False}
    assert "3 of 3 steps left" in content
    assert f'href="{reverse("mfa_activate_totp")}"' in content


def test_reader_onboarding_listed_reader_with_totp_is_all_set(client):
    # given: a complete, published profile and two-factor on
    from apps.readings.tests.helpers import make_reader

    reader = make_reader()
    give_totp(reader)
    client.force_login(reader)
    # when
    content = client.get(reverse("dashboards:reader")).content.decode()
    # then
    assert set(_states(reader).values()) == {True}
    assert "You are all set" in content and "steps left" not in content


def test_onboarding_step_register_unknown_role_or_duplicate_key_refused(monkeypatch):
    monkeypatch.setitem(onboarding._STEPS, "reader", dict(onboarding._STEPS["reader"]))
    with pytest.raises(ImproperlyConfigured):
        onboarding_step_register(role="guest", order=1, step=OnboardingStep("x", "X", "pages:home", bool))
    with pytest.raises(ImproperlyConfigured):
        onboarding_step_register(
            role="reader", order=1, step=OnboardingStep("two-factor", "Another", "pages:home", bool)
        )


def test_onboarding_step_url_that_does_not_resolve_fails_the_start_up_check(monkeypatch):
    # given
    from apps.dashboards.apps import dashboard_sections_check

    monkeypatch.setitem(onboarding._STEPS, "reader", dict(onboarding._STEPS["reader"]))
    assert dashboard_sections_check(None) == []
    onboarding_step_register(
        role="reader", order=99, step=OnboardingStep("payouts", "Payouts", "payouts:connect", bool)
    )
    # when
    errors = dashboard_sections_check(None)
    # then
    assert [error.id for error in errors] == ["dashboards.E002"] and "payouts:connect" in errors[0].msg
