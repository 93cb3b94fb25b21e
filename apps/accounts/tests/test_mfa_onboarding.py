"""An admin's first two-factor set-up: the password prompt says why it is asked, and after the recovery codes
the admin has a clear way on to the admin dashboard."""

import html
import re
import time
from urllib.parse import urlsplit

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.urls import reverse

from apps.accounts.tests.factories import DEFAULT_PASSWORD, ReaderFactory

pytestmark = pytest.mark.django_db


def _code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // mfa_settings.TOTP_PERIOD))


def test_admin_two_factor_onboarding_reason_shown_then_way_on_to_dashboard(client, admin_user):
    # given: an admin signed in a while ago, without two-factor authentication
    client.force_login(admin_user)
    # when: they open an admin page
    staff_page = client.get(reverse("staff_readers:reader_list"))
    activate = client.get(staff_page["Location"])
    prompt = client.get(activate["Location"])
    # then: the password prompt says what is about to change and why it asks
    assert staff_page["Location"] == reverse("mfa_activate_totp")
    assert urlsplit(activate["Location"]).path == reverse("account_reauthenticate")
    body = html.unescape(prompt.content.decode())
    assert (
        "You are about to turn on two-factor authentication, which every admin needs before the admin pages open."
        in body
    )
    assert "we ask you to confirm it is you when your last sign-in was more than a few minutes ago" in body

    # when: they confirm, scan the code and activate
    confirmed = client.post(activate["Location"], {"password": DEFAULT_PASSWORD})
    assert confirmed["Location"] == reverse("mfa_activate_totp")
    page = client.get(reverse("mfa_activate_totp")).content.decode()
    secret = re.search(
        r'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"|value="([A-Z2-7]+)"[^>]*id="authenticator_secret"', page
    )
    secret_value = next(group for group in secret.groups() if group)
    activated = client.post(reverse("mfa_activate_totp"), {"code": _code(secret_value)})
    codes = client.get(activated["Location"])
    # then: after the recovery codes, one clear way on to the admin dashboard, which now opens
    assert activated["Location"] == reverse("mfa_view_recovery_codes")
    content = codes.content.decode()
    assert (
        f'<a class="btn btn-primary" href="{reverse("dashboards:admin")}">Continue to the admin dashboard</a>'
        in content
    )
    assert client.get(reverse("dashboards:admin")).status_code == 200


def test_recovery_codes_reader_way_on_to_own_dashboard(client):
    # given: a reader who turned on two-factor authentication
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    from apps.accounts.tests.factories import give_totp

    reader = ReaderFactory()
    give_totp(reader)
    RecoveryCodes.activate(reader)
    client.force_login(reader)
    client.post(reverse("account_reauthenticate"), {"password": DEFAULT_PASSWORD})
    # when
    content = client.get(reverse("mfa_view_recovery_codes")).content.decode()
    # then
    assert f'href="{reverse("dashboards:home")}">Continue to your dashboard</a>' in content
    assert reverse("dashboards:admin") not in content
