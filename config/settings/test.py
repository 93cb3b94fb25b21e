"""The test suite: real PostgreSQL and real Redis, as production. Celery is not eager.

The suite runs in parallel (``pytest -n``, pytest-xdist). pytest-django gives every worker its own PostgreSQL
test database; the settings below give every worker its own Redis database too (cache, rate limits and the
Celery broker), so one worker's ``cache.clear()`` or queued task never reaches another's. Processes a test
starts (a Celery worker, ``manage.py``) inherit ``PYTEST_XDIST_WORKER`` and land on the same database.
"""

import os
from urllib.parse import urlsplit, urlunsplit

from .base import *  # noqa: F403
from .base import STORAGES, env

REDIS_DATABASES = 16  # Redis' default number of databases: 0-15


def worker_redis_url(url: str, worker: str | None) -> str:
    """``url`` with its database moved ``n`` ahead for xdist worker ``gw<n>``, wrapping within 0-15.

    Without a worker (a serial run) the URL is unchanged: ``redis://host:6379/7`` stays on 7, and with
    two workers ``gw0`` uses 7 and ``gw1`` uses 8.
    """
    if not worker or not worker.startswith("gw") or not worker[2:].isdigit():
        return url
    parts = urlsplit(url)
    base = parts.path.strip("/")
    database = (int(base or 0) + int(worker[2:])) % REDIS_DATABASES
    return urlunsplit(parts._replace(path=f"/{database}"))


XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")

DEBUG = False
SECRET_KEY = "test-secret-key-not-for-production-0123456789abcdefghijklmnopqrstuvwxyz"
DATABASES = {"default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/soulseer")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# The live server's request threads keep their connection for the requests of one browser connection (it is
# closed when the thread ends) instead of connecting again for each request: the client's layout walk started
# 168 PostgreSQL backends, one per page, file and poll, and now starts 7.
DATABASES["default"]["CONN_MAX_AGE"] = 60
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Append-only tables refuse TRUNCATE unless the connection opts in (see core migration 0005); the suite's
# throwaway database does. A commit does not wait for its WAL record to reach the disk: a crash could lose the
# last commits of a test database, which nobody keeps, and every commit of the suite gets faster.
_options = DATABASES["default"].setdefault("OPTIONS", {})
_options["options"] = f"{_options.get('options', '')} -c soulseer.allow_truncate=on -c synchronous_commit=off".strip()
REDIS_URL = worker_redis_url(env("REDIS_URL", default="redis://127.0.0.1:6379/15"), XDIST_WORKER)
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_ALWAYS_EAGER = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
# WhiteNoise serves nothing in tests: the live server serves static files itself (Django's StaticFilesHandler, from
# the finders), and with finders WhiteNoise would scan every static file again for each test client it starts.
WHITENOISE_USE_FINDERS = False
MEDIA_ROOT = BASE_DIR / "var" / "test-media" / (XDIST_WORKER or "main")
# Integrations are off unless a test switches them on with override_settings.
STRIPE_SECRET_KEY = ""
STRIPE_WEBHOOK_SECRET = ""
STRIPE_CONNECT_WEBHOOK_SECRET = ""
AGORA_APP_ID = ""
AGORA_APP_CERTIFICATE = ""
AGORA_CUSTOMER_ID = ""
AGORA_CUSTOMER_SECRET = ""
SENTRY_DSN = ""
