"""Production settings pass Django's deployment checklist and refuse unsafe configurations."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[3]


def _db_url() -> str:
    db = settings.DATABASES["default"]
    credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _prod_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.prod",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="soulseer.example.com",
        DATABASE_URL=_db_url(),
        REDIS_URL=settings.REDIS_URL,
    )
    env.update(overrides)
    return env


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_with_production_settings_reports_no_issues():
    # given
    env = _prod_env()
    # when
    result = _manage("check", "--deploy", "--fail-level", "WARNING", "--settings=config.settings.prod", env=env)
    # then
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


# Run under production settings: a visitor signs in over HTTPS (behind Heroku's router) and the answers' headers
# and cookies are printed as JSON.
_SIGN_IN_OVER_HTTPS = """
import json
import django
from django.conf import settings
# The manifest storage needs collectstatic, which a test does not run; every other setting is production's.
static = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
settings.STORAGES = {**settings.STORAGES, "staticfiles": static}
django.setup()
from django.test import Client
from apps.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
user = UserFactory(email="deploy-check@example.com")
browser = Client(HTTP_HOST="soulseer.example.com", HTTP_X_FORWARDED_PROTO="https", HTTP_X_FORWARDED_FOR="203.0.113.9")
plain = Client(HTTP_HOST="soulseer.example.com").get("/accounts/login/")
page = browser.get("/accounts/login/")
signed_in = browser.post("/accounts/login/", {"login": user.email, "password": DEFAULT_PASSWORD})
cookies = {
    name: {key: str(morsel[key]) for key in ("secure", "samesite", "httponly")}
    for response in (page, signed_in)
    for name, morsel in response.cookies.items()
}
print(json.dumps({
    "plain": [plain.status_code, plain.headers.get("Location", "")],
    "page": [page.status_code, dict(page.headers)],
    "signed_in": signed_in.status_code,
    "cookies": cookies,
}))
"""


@pytest.mark.django_db(transaction=True)
def test_production_settings_send_strict_headers_and_secure_cookies_on_a_real_response():
    # given
    env = _prod_env()
    # when
    result = subprocess.run(
        [sys.executable, "-c", _SIGN_IN_OVER_HTTPS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # then
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout.strip().splitlines()[-1])
    assert answers["plain"] == [301, "https://soulseer.example.com/accounts/login/"]
    status, headers = answers["page"]
    assert status == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert "script-src 'self' 'wasm-unsafe-eval';" in policy
    assert headers["Permissions-Policy"].startswith("camera=(), microphone=(), ")
    assert answers["signed_in"] == 302
    cookies = answers["cookies"]
    assert cookies["csrftoken"] == {"secure": "True", "samesite": "Lax", "httponly": ""}
    assert cookies["sessionid"] == {"secure": "True", "samesite": "Lax", "httponly": "True"}


def test_production_settings_make_every_cookie_secure_and_same_site():
    # given: the language cookie is set by no page today, but any that sets it later gets these flags
    env = _prod_env()
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print([(n, getattr(s, n + '_COOKIE_SECURE'), getattr(s, n + '_COOKIE_SAMESITE')) "
        "for n in ('SESSION', 'CSRF', 'LANGUAGE')])"
    )
    # when
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    # then
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[('SESSION', True, 'Lax'), ('CSRF', True, 'Lax'), ('LANGUAGE', True, 'Lax')]"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"DJANGO_SECRET_KEY": "too-short"}, "DJANGO_SECRET_KEY must be at least 50 characters"),
        ({"DATABASE_URL": "sqlite:////tmp/soulseer.sqlite3"}, "DATABASE_URL must point at PostgreSQL"),
        ({"REDIS_URL": ""}, "REDIS_URL must be set in production"),
        ({"STRIPE_API_BASE": "http://127.0.0.1:12111"}, "STRIPE_API_BASE must be empty in production"),
    ],
)
def test_production_settings_with_unsafe_configuration_refuse_to_start(overrides, message):
    # given
    env = _prod_env(**overrides)
    # when
    result = _manage("check", "--settings=config.settings.prod", env=env)
    # then
    assert result.returncode != 0
    assert message in result.stderr


def test_production_settings_with_heroku_tls_redis_skip_certificate_verification():
    # given: Heroku Redis hands out rediss:// URLs whose certificate is self-signed
    env = _prod_env(REDIS_URL="rediss://:secret@redis.example.com:6380")
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.CELERY_BROKER_URL); print(s.CACHES['default']['LOCATION'])"
    )
    # when
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    # then
    assert result.returncode == 0, result.stderr
    expected = "rediss://:secret@redis.example.com:6380?ssl_cert_reqs=none"
    assert result.stdout.split() == [expected, expected]


def _settings_environment_variables() -> set[str]:
    pattern = re.compile(r"""\benv(?:\.[a-z_]+)?\(\s*["']([A-Z][A-Z0-9_]*)["']""")
    names: set[str] = set()
    for path in (ROOT / "config" / "settings").glob("*.py"):
        names.update(pattern.findall(path.read_text()))
    return names


def test_app_json_lists_every_environment_variable_read_by_settings():
    # given
    names = _settings_environment_variables()
    app = json.loads((ROOT / "app.json").read_text())
    # when
    missing = names - set(app["env"])
    # then
    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL", "SENTRY_DSN"} <= names
    assert not missing, f"add these to app.json: {sorted(missing)}"
    assert all(entry.get("description") for entry in app["env"].values())
    required = {name for name, entry in app["env"].items() if entry.get("required")}
    assert required == {
        "DJANGO_SETTINGS_MODULE",
        "DJANGO_SECRET_KEY",
        "DJANGO_ALLOWED_HOSTS",
        "SITE_URL",
        "DATABASE_URL",
        "REDIS_URL",
    }
    assert app["env"]["DJANGO_SETTINGS_MODULE"]["value"] == "config.settings.prod"
    assert [pack["url"] for pack in app["buildpacks"]] == ["heroku/nodejs", "heroku/python"]


def test_procfile_declares_web_worker_beat_and_release_migrate():
    # given
    lines = (ROOT / "Procfile").read_text().splitlines()
    # when
    processes = dict(line.split(": ", 1) for line in lines if line.strip())
    # then
    assert processes == {
        "web": "gunicorn config.wsgi --log-file -",
        "worker": "celery -A config worker --loglevel=INFO",
        "beat": "celery -A config beat --loglevel=INFO",
        "release": "python manage.py migrate --noinput && python manage.py wallet_outbox_adopt",
    }
    assert (ROOT / ".python-version").read_text().strip() == "3.11"
