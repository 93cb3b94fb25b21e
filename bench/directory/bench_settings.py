"""Settings for the directory benchmark: production settings, on loopback, against the benchmark database.

Differences from production, and why: no HTTPS redirect (plain HTTP on loopback), static files collected
into the benchmark's own directory under var/, a URLconf that adds one minimal view to compare against, and
warnings-only logging so that logging is not what gets measured.
"""

from config.settings.prod import *  # noqa: F403
from config.settings.prod import LOGGING, VAR_DIR

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
STATIC_ROOT = VAR_DIR / "bench" / "static"
ROOT_URLCONF = "bench_urls"
LOGGING["root"]["level"] = "WARNING"
