"""The main pages are valid HTML: the Nu Html Checker (vnu-jar from npm, run on the machine's Java) finds no
error in them, apart from htmx's own hx-* attributes, which HTML has no name for. No template syntax (a
``{# … #}`` comment that spans lines, say) leaks into a page either.
"""

import json
import re
import shutil
import subprocess
from decimal import Decimal

import pytest
from django.urls import reverse

from apps.accounts.tests.factories import AdminFactory, UserFactory, give_totp
from apps.messaging.tests.factories import conversation_with, fund_wallet, listed_reader
from apps.pages.tests.factories import ensure_initial_policies
from tests.e2e.conftest import ROOT

VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
# HTML has no hx-* attributes; htmx reads them anyway. Everything else the checker reports is an error here.
HTMX_ATTRIBUTE = re.compile(r"^Attribute “hx-[a-z-]+” not allowed on element")
TEMPLATE_SYNTAX = re.compile(r"\{#|#\}|\{%|%\}|\{\{|\}\}")


def _pages(client, role: str, reader_pk: int, conversation_pk: int) -> list[str]:
    public = [
        reverse("pages:home"),
        reverse("readers:directory"),
        reverse("readers:profile", args=[reader_pk]),
        reverse("pages:about"),
        reverse("pages:help"),
        reverse("pages:contact"),
        reverse("pages:terms"),
    ]
    return {
        "visitor": [*public, reverse("account_login"), reverse("account_signup"), reverse("account_reset_password")],
        "client": [
            reverse("dashboards:client"),
            reverse("readings:history"),
            reverse("messaging:inbox"),
            reverse("messaging:conversation", args=[conversation_pk]),
            reverse("wallet:home"),
            reverse("notifications:list"),
            reverse("accounts:settings"),
            reverse("account_email"),
            reverse("mfa_index"),
        ],
        "reader": [
            reverse("dashboards:reader"),
            reverse("readers:dashboard_profile"),
            reverse("wallet:home"),
            reverse("analytics:reader"),
        ],
        "admin": [
            reverse("dashboards:admin"),
            reverse("staff_accounts:user_list"),
            reverse("staff_core:audit_log"),
            reverse("staff_wallet:index"),
            reverse("staff_analytics:index"),
        ],
    }[role]


@pytest.mark.django_db
def test_main_pages_pass_the_nu_html_checker_and_show_no_template_syntax(client, tmp_path, settings):
    # given: people of every role, a listed reader, a conversation and some money
    if not shutil.which("java"):
        pytest.fail("Java is needed to run the Nu Html Checker (vnu.jar)")
    assert VNU_JAR.exists(), "run `npm ci` to install vnu-jar"
    settings.MEDIA_ROOT = tmp_path / "media"
    ensure_initial_policies()
    reader = listed_reader(display_name="Vega Starling")
    customer = UserFactory(display_name="Morgan")
    fund_wallet(customer, Decimal("25.00"))
    conversation = conversation_with(client=customer, reader=reader.user)
    admin = AdminFactory()
    give_totp(admin)
    give_totp(reader.user)
    people = {"visitor": None, "client": customer, "reader": reader.user, "admin": admin}
    files = {}
    leaks = []
    for role, person in people.items():
        client.logout()
        if person is not None:
            client.force_login(person)
        for url in _pages(client, role, reader.pk, conversation.pk):
            # when
            response = client.get(url)
            assert response.status_code == 200, f"{url} as {role} answered {response.status_code}"
            html = response.content.decode()
            assert 'rel="icon"' in html, f"{url} has no favicon"
            path = tmp_path / f"{role}-{len(files):02d}.html"
            path.write_text(html)
            files[str(path)] = f"{url} as {role}"
            leaks += [f"{url} as {role}: {m.group(0)!r}" for m in TEMPLATE_SYNTAX.finditer(_visible_text(html))]
    result = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--format", "json", "--errors-only", "--exit-zero-always", *files],
        capture_output=True,
        text=True,
        timeout=240,
    )
    messages = json.loads(result.stderr or result.stdout)["messages"]
    # then
    errors = [
        f"{files.get(m.get('url', '').removeprefix('file:'), m.get('url'))} line {m.get('lastLine')}: {m['message']}"
        for m in messages
        if m.get("type") == "error" and not HTMX_ATTRIBUTE.match(m["message"])
    ]
    assert not errors, "\n".join(errors)
    assert not leaks, "template syntax shown on pages:\n" + "\n".join(leaks)


def _visible_text(html: str) -> str:
    """The page without its scripts, styles and attribute values: what a person reads."""
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S | re.I)
    html = re.sub(r"<[^>]*>", " ", html)
    return html
