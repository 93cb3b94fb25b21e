"""The test suite: real PostgreSQL and real Redis, as production. Celery is not eager."""

from .base import *  # noqa: F403
from .base import STORAGES, env

DEBUG = False
SECRET_KEY = "test-secret-key-not-for-production-0123456789abcdefghijklmnopqrstuvwxyz"
DATABASES = {"default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/soulseer")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Append-only tables refuse TRUNCATE unless the connection opts in; the suite's throwaway database does, so
# that tests with real transactions can be emptied between tests (see core migration 0005).
DATABASES["default"]["OPTIONS"] = {"options": "-c soulseer.allow_truncate=on"}
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/15")
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_ALWAYS_EAGER = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = BASE_DIR / "var" / "test-media"
# Integrations are off unless a test switches them on with override_settings.
STRIPE_SECRET_KEY = ""
STRIPE_WEBHOOK_SECRET = ""
AGORA_APP_ID = ""
AGORA_APP_CERTIFICATE = ""
AGORA_CUSTOMER_ID = ""
AGORA_CUSTOMER_SECRET = ""
SENTRY_DSN = ""
