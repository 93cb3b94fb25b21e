"""Production (Heroku): everything from the environment, secure by default."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import CACHES, LOGGING, REDIS_URL, STRIPE_API_BASE, VAR_DIR, env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 50 characters.")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")

# A dyno's filesystem is per process and wiped on restart: the filesystem broker and the local-memory cache
# would silently split state between web and worker dynos, so production refuses to start without Redis, and
# without an explicit DATABASE_URL (never the local default).
if not env("DATABASE_URL", default=""):
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL in production.")
if not REDIS_URL:
    raise ImproperlyConfigured("REDIS_URL must be set in production (Celery broker and cache).")
# STRIPE_API_BASE points the SDK at a local test server; in production every Stripe call goes to Stripe itself.
if STRIPE_API_BASE:
    raise ImproperlyConfigured("STRIPE_API_BASE must be empty in production: Stripe calls go to api.stripe.com.")
# Heroku Redis serves TLS (rediss://) with a certificate that is not signed by a public authority; its
# documentation asks clients to skip verification. REDIS_SSL_CERT_REQS=required turns verification on for
# providers whose certificate verifies.
if REDIS_URL.startswith("rediss://") and "ssl_cert_reqs=" not in REDIS_URL:
    REDIS_URL = (
        f"{REDIS_URL}{'&' if '?' in REDIS_URL else '?'}ssl_cert_reqs={env('REDIS_SSL_CERT_REQS', default='none')}"
    )
    CACHES["default"]["LOCATION"] = REDIS_URL
    CELERY_BROKER_URL = REDIS_URL

# Celery beat keeps its schedule state under var/, which is not part of the slug.
VAR_DIR.mkdir(exist_ok=True)

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
LOGGING["handlers"]["console"]["formatter"] = "json"  # type: ignore[index]
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1)  # Heroku's router
