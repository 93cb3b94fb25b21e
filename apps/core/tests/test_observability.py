"""Production logs are one JSON object per line; Sentry starts only when SENTRY_DSN is set."""

import json
import subprocess
import sys

from .test_deploy_check import ROOT, _prod_env

LOG_ONE_LINE = (
    "import django, logging; django.setup(); "
    "logging.getLogger('apps.core').warning('payout batch queued', extra={'batch_id': 7})"
)
SENTRY_STATE = (
    "import django; django.setup(); import sentry_sdk; client = sentry_sdk.get_client(); "
    "print(client.is_active(), *([client.options['dsn'], client.options['send_default_pii']] "
    "if client.is_active() else []))"
)


def _python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_production_logging_writes_one_json_object_per_line():
    # given: LOG_FORMAT is not set; production settings choose JSON on their own
    env = _prod_env()
    env.pop("LOG_FORMAT", None)
    # when
    result = _python(LOG_ONE_LINE, env)
    # then
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    record = json.loads(lines[-1])
    assert record["levelname"] == "WARNING"
    assert record["name"] == "apps.core"
    assert record["message"] == "payout batch queued"
    assert record["batch_id"] == 7


def test_development_logging_stays_plain_text_unless_asked():
    # given
    env = {**_prod_env(), "DJANGO_SETTINGS_MODULE": "config.settings.dev"}
    env.pop("LOG_FORMAT", None)
    # when
    result = _python(LOG_ONE_LINE, env)
    # then
    assert result.returncode == 0, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.endswith("WARNING apps.core payout batch queued")


def test_sentry_with_dsn_is_initialised_without_personal_data():
    # given
    dsn = "https://0123456789abcdef@o1.ingest.sentry.io/2"
    env = _prod_env(SENTRY_DSN=dsn)
    # when
    result = _python(SENTRY_STATE, env)
    # then
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", dsn, "False"]


def test_sentry_without_dsn_stays_off():
    # given
    env = _prod_env()
    env.pop("SENTRY_DSN", None)
    # when
    result = _python(SENTRY_STATE, env)
    # then
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False"]
