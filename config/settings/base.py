"""Settings shared by every environment. Values come from environment variables (django-environ).

Optional integrations (Stripe, Agora, R2, Sentry, SMTP) are switched on only when their variables are
set; the ``integrations`` helpers in ``apps.core.integrations`` tell the rest of the code whether they are.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
# Local state of `make run`: the embedded PostgreSQL, the filesystem broker, uploaded media.
VAR_DIR = Path(env("SOULSEER_VAR_DIR", default=str(BASE_DIR / "var")))

SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# Where the site is served; every link in an email starts with it. The default is the address `make run` prints.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
SITE_NAME = "SoulSeer"
# Reverse proxies in front of the app that append to X-Forwarded-For (Heroku's router: 1).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

INSTALLED_APPS = [
    "whitenoise.runserver_nostatic",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sites",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.headless",
    # Our apps: one per domain.
    "apps.core",
    "apps.accounts",
    "apps.pages",
    "apps.dashboards",
    "apps.wallet",
    "apps.rtc",
    "apps.readers",
    "apps.notifications",
    "apps.messaging",
    "apps.readings",
    "apps.scheduling",
    "apps.moderation",
    "apps.live",
    "apps.shop",
    "apps.payouts",
    "apps.analytics",
    "apps.privacy",
    "apps.community",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "apps.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "apps.accounts.middleware.ViewerTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "apps.accounts.middleware.AdminMfaRequiredMiddleware",
    "apps.core.middleware.RequestInputGuardMiddleware",
    # Last, so it sees every domain error a view lets through: error page, HTMX partial or JSON.
    "apps.core.errors.DomainErrorMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.core.context_processors.site",
                "apps.moderation.context_processors.moderation",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
# PostgreSQL everywhere: Neon in production, the system server in tests, and under `make run` without
# DATABASE_URL an embedded server in var/ (scripts/embedded_db.py), whose URL `make run` passes on.
DATABASES = {"default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/soulseer")}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgres://user:password@host:port/name).")
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and broker ------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "filesystem://"
if not REDIS_URL:
    _broker_dir = VAR_DIR / "celery" / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = "UTC"

# --- Auth -------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SITE_ID = 1
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboards:home"
ACCOUNT_LOGOUT_REDIRECT_URL = "pages:home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[SoulSeer] "
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_FORMS = {"signup": "apps.accounts.forms.SignupForm"}
ACCOUNT_ADAPTER = "apps.accounts.emails.AccountAdapter"
ACCOUNT_RATE_LIMITS = {
    # allauth's defaults, stated so they are visible and reviewed.
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "SoulSeer"
HEADLESS_CLIENTS = ("app",)
HEADLESS_ONLY = False
HEADLESS_FRONTEND_URLS = {
    "account_confirm_email": f"{SITE_URL}/accounts/confirm-email/{{key}}/",
    "account_reset_password_from_key": f"{SITE_URL}/accounts/password/reset/key/{{key}}/",
    "account_signup": f"{SITE_URL}/accounts/signup/",
}

# --- API ---------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Mobile clients: allauth headless app session tokens (X-Session-Token).
        "allauth.headless.contrib.rest_framework.authentication.XSessionTokenAuthentication",
        # Browsers: the Django session (CSRF enforced).
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "apps.core.errors.drf_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SoulSeer API",
    "DESCRIPTION": "JSON endpoints for mobile clients, provider callbacks and internal use.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # One schema name per choice set that several serializer fields share.
    "ENUM_NAME_OVERRIDES": {"ConnectionStateEnum": "apps.rtc.enums.ConnectionState"},
    # The docs page's JS and CSS come from our own static files, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Static and media ----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"

# Two storages. "default" holds private files (application photos, avatars, attachments, exports): served only
# through views that check who asks, or expiring signed links. "public" holds what every visitor may see (reader
# photos and their thumbnails). Both are Cloudflare R2 (S3-compatible) when configured, local files otherwise.
R2_BUCKET = env("R2_BUCKET", default="")
R2_ENDPOINT_URL = env("R2_ENDPOINT_URL", default="")
R2_ACCESS_KEY_ID = env("R2_ACCESS_KEY_ID", default="")
R2_SECRET_ACCESS_KEY = env("R2_SECRET_ACCESS_KEY", default="")
# Optional: a bucket of its own for public files, with a public address (an R2 custom domain or r2.dev URL).
# Without them, public files sit under public/ in the private bucket and are reached by signed links too.
R2_PUBLIC_BUCKET = env("R2_PUBLIC_BUCKET", default="")
R2_PUBLIC_URL = env("R2_PUBLIC_URL", default="").rstrip("/")
if R2_PUBLIC_URL and (not R2_PUBLIC_BUCKET or R2_PUBLIC_BUCKET == R2_BUCKET):
    # A public address opens a whole bucket: on the private bucket it would expose every private file.
    raise ImproperlyConfigured("R2_PUBLIC_URL needs R2_PUBLIC_BUCKET, a bucket other than R2_BUCKET.")
_private_storage: dict = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
_public_storage: dict = {"BACKEND": "apps.core.storages.PublicFileSystemStorage"}
if R2_BUCKET and R2_ENDPOINT_URL:
    _r2_options = {
        "bucket_name": R2_BUCKET,
        "endpoint_url": R2_ENDPOINT_URL,
        "access_key": R2_ACCESS_KEY_ID,
        "secret_key": R2_SECRET_ACCESS_KEY,
        "region_name": env("R2_REGION", default="auto"),
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": 3600,
        "file_overwrite": False,
        "signature_version": "s3v4",
    }
    _private_storage = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": _r2_options}
    _public_storage = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {**_r2_options, "location": "public"}}
    if R2_PUBLIC_URL:
        _public_storage["OPTIONS"].update(
            bucket_name=R2_PUBLIC_BUCKET,
            querystring_auth=False,
            custom_domain=R2_PUBLIC_URL.split("://", 1)[-1],
            url_protocol="https:",
        )
STORAGES = {
    "default": _private_storage,
    "public": _public_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Public files kept on this machine's disk are served by the app itself (under MEDIA_URL public/); on R2 the
# storage serves them. Private files are never served from a URL path.
SERVE_PUBLIC_MEDIA = not (R2_BUCKET and R2_ENDPOINT_URL)
# Links to private files (apps.core.files): how long a link given to a user lasts, and how long the signed R2 URL
# it redirects to lasts (just long enough for the browser to follow the redirect).
FILE_LINK_TTL = timedelta(hours=24)
FILE_PRESIGNED_SECONDS = 60
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Email ------------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="SoulSeer <no-reply@soulseer.app>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SUPPORT_EMAIL = env("SUPPORT_EMAIL", default="")

# --- Integrations --------------------------------------------------------------------------------
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
# Only tests point the SDK elsewhere (a local server speaking Stripe's API).
STRIPE_API_BASE = env("STRIPE_API_BASE", default="")
AGORA_APP_ID = env("AGORA_APP_ID", default="")
AGORA_APP_CERTIFICATE = env("AGORA_APP_CERTIFICATE", default="")
AGORA_TOKEN_TTL_SECONDS = env.int("AGORA_TOKEN_TTL_SECONDS", default=1200)
AGORA_NCS_SECRET = env("AGORA_NCS_SECRET", default="")
# RTM (signalling for room chat and events) must also be enabled for the Agora project before it is used.
AGORA_RTM_ENABLED = env.bool("AGORA_RTM_ENABLED", default=False)
# Agora's RESTful API (Basic auth with the project's customer id and secret): when set, a reading that pauses or
# ends also removes both parties from its channel (kicking rules). Only tests point the base elsewhere.
AGORA_CUSTOMER_ID = env("AGORA_CUSTOMER_ID", default="")
AGORA_CUSTOMER_SECRET = env("AGORA_CUSTOMER_SECRET", default="")
AGORA_REST_API_BASE = env("AGORA_REST_API_BASE", default="https://api.agora.io")
AGORA_REST_TIMEOUT_SECONDS = env.int("AGORA_REST_TIMEOUT_SECONDS", default=10)
# A reading's media token lasts to the end of the time already paid plus this margin: long enough for the
# billing tick to charge the next minute (heartbeats every 10 s, ticks every 5 s) before Agora drops anyone.
READING_TOKEN_PAID_MARGIN_SECONDS = env.int("READING_TOKEN_PAID_MARGIN_SECONDS", default=45)
SENTRY_DSN = env("SENTRY_DSN", default="")

# --- Wallet limits ----------------------------------------------------------------------------------
WALLET_TOPUP_PRESETS = env.list("WALLET_TOPUP_PRESETS", default=["10", "25", "50", "100"])
WALLET_TOPUP_MIN = env("WALLET_TOPUP_MIN", default="5.00")
WALLET_TOPUP_MAX = env("WALLET_TOPUP_MAX", default="500.00")
READER_DEFAULT_RATE = "0.70"

# Shop (docs/SHOP.md). A Checkout Session, and the stock it holds, lasts this long (Stripe allows 30 min to 24 h
# from the session's creation, which comes a moment after the order's: hence at least 31);
# the sweep releases what Stripe did not report expired after the grace period.
SHOP_CHECKOUT_MINUTES = env.int("SHOP_CHECKOUT_MINUTES", default=35)
if not 31 <= SHOP_CHECKOUT_MINUTES <= 23 * 60:
    raise ImproperlyConfigured("SHOP_CHECKOUT_MINUTES must be between 31 and 1380 (Stripe's Checkout expiry limits).")
SHOP_RESERVATION_GRACE_MINUTES = env.int("SHOP_RESERVATION_GRACE_MINUTES", default=10)
# Where physical items ship (ISO country codes), and the Stripe shipping rates offered at checkout.
SHOP_SHIPPING_COUNTRIES = env.list("SHOP_SHIPPING_COUNTRIES", default=["US", "CA"])
SHOP_SHIPPING_RATE_IDS = env.list("SHOP_SHIPPING_RATE_IDS", default=[])
# How long a download link of a digital product works (the buyer can always get a fresh one from the order page).
SHOP_DOWNLOAD_LINK_TTL = timedelta(hours=24)
# Reader payouts (apps.payouts): the least a reader may ask for, and the least the weekly batch pays.
PAYOUT_REQUEST_MINIMUM = env("PAYOUT_REQUEST_MINIMUM", default="15.00")
PAYOUT_BATCH_MINIMUM = env("PAYOUT_BATCH_MINIMUM", default="1.00")
# Stripe signs Connect events (readers' accounts) with the Connect endpoint's own secret.
STRIPE_CONNECT_WEBHOOK_SECRET = env("STRIPE_CONNECT_WEBHOOK_SECRET", default="")

# --- Rate limits (apps/core/ratelimit.py) --------------------------------------------------------------------
# Every view where a person creates something declares one of these with @rate_limited(scope, what=...):
# "count/window" in any sliding window (s, m, h, d; "5/10m" is 5 in any 10 minutes), per signed-in person or, for
# visitors, per client address. Limits kept inside services (messages, reports, contact, bookings, chat lines) and
# the RTC API's throttles are listed in tests/security/test_rate_limits.py.
RATE_LIMITS = {
    "accounts.settings": "30/h",  # the settings form stores an uploaded avatar
    "accounts.reader_application": "5/d",
    "readers.favorite": "60/h",
    "readers.online_alert": "60/h",
    "readings.request": "20/h",
    "readings.review": "20/h",
    "readings.review_reply": "30/h",
    "readings.note": "60/h",
    "messaging.unlock": "60/h",
    "live.stream": "10/h",
    "live.invite": "60/h",
    "live.ticket": "20/h",
    "live.gift": "30/m",
    "wallet.topup": "10/h",  # Stripe Checkout Sessions, from the wallet and from a stream's gift offer
    "payouts.onboard": "10/h",
    "payouts.request": "5/h",
    "scheduling.availability": "60/h",  # weekly windows, days off and blocked times
    "scheduling.reschedule": "10/h",
    "shop.cart": "120/h",  # adding to and changing the cart
    "shop.checkout": "20/h",  # orders: a Stripe Checkout Session or a wallet payment each
    "shop.download_link": "60/h",  # fresh download links (each one is a logged FileLink row)
    # Counted by apps.privacy.services (one entry point each, but a request in progress uses no slot).
    "privacy.export": "3/d",  # data exports: each one builds a ZIP of everything
    "privacy.deletion": "5/d",  # account deletion requests: each one sends a confirmation email
}

# --- I18N ------------------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Security ------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # HTMX reads the token from the page, not the cookie.
# Lax, not Strict: a person coming back from Stripe Checkout (a top-level GET from stripe.com) must arrive signed in.
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# The seed's brand images live on this host; everything else is served by us.
BRAND_IMAGE_HOST = "https://i.postimg.cc"
# Agora's Web SDKs (bundled into static/build/vendor/, never loaded from a CDN) need, and only need:
# - connect-src: HTTPS and WebSocket to Agora's access points, edge servers and log/stats collectors, which all
#   live under *.agora.io and *.sd-rtn.com (edge hosts are generated per IP, hence the wildcards);
# - worker-src blob:: both SDKs start small Web Workers (timers, media helpers) from blob: URLs;
# - script-src 'wasm-unsafe-eval': the RTM SDK compiles its bundled WebAssembly module (no JS eval is allowed);
# - media-src blob: for local and remote media elements.
# The RTC SDK also sets style attributes on a few temporary elements; the policy blocks those without
# breaking calls, so style-src stays 'self'.
# Reader photos on R2 load from the bucket's endpoint (signed links) or from its public address.
_R2_IMAGE_HOSTS = [url for url in (R2_ENDPOINT_URL, R2_PUBLIC_URL) if url and R2_BUCKET]
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "img-src": ["'self'", "data:", "blob:", BRAND_IMAGE_HOST, *_R2_IMAGE_HOSTS],
    "style-src": ["'self'"],
    "script-src": ["'self'", "'wasm-unsafe-eval'"],
    "worker-src": ["'self'", "blob:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'", "https://*.agora.io", "wss://*.agora.io", "https://*.sd-rtn.com", "wss://*.sd-rtn.com"],
    "media-src": ["'self'", "blob:"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'", "https://checkout.stripe.com"],
    "base-uri": ["'self'"],
    "object-src": ["'none'"],
}
# Django's admin (its change lists, date and raw-id widgets, popups) runs on its own static scripts and styles only.
CONTENT_SECURITY_POLICY_ADMIN = {
    "default-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "style-src": ["'self'"],
    "script-src": ["'self'"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
    "base-uri": ["'self'"],
    "object-src": ["'none'"],
}
# The API reference (Redoc, from drf-spectacular-sidecar's static files): Redoc writes its styles into <style>
# elements at run time (styled-components) and runs its search index in a blob: worker. Scripts stay static files.
# Its bundle also asks Redocly's CDN for its "API docs by Redocly" logo: refused here (nothing is fetched from
# a third party at run time); the page works without it.
CONTENT_SECURITY_POLICY_API_DOCS = {
    "default-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "script-src": ["'self'"],
    "worker-src": ["'self'", "blob:"],
    "font-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
    "base-uri": ["'self'"],
    "object-src": ["'none'"],
}
# Browser features no page of ours uses, turned off for every page (and anything it embeds). The camera and
# microphone are turned on for this origin only by the room pages' views (apps.core.headers.media_capture_allowed).
PERMISSIONS_POLICY: dict[str, list[str]] = {
    "camera": [],
    "microphone": [],
    "display-capture": [],
    "geolocation": [],
    "payment": [],
    "usb": [],
    "serial": [],
    "hid": [],
    "midi": [],
    "accelerometer": [],
    "gyroscope": [],
    "magnetometer": [],
    "browsing-topics": [],
}

LOGGING: dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "pythonjsonlogger.json.JsonFormatter", "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": env("LOG_FORMAT", default="plain")}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env("SENTRY_ENVIRONMENT", default="production"),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
        send_default_pii=False,
    )

# --- Outbox (apps/core/outbox.py) ---------------------------------------------------------------
# Retries wait 10 s, 20 s, 40 s … up to an hour; 15 attempts span about seven hours before admins are alerted.
OUTBOX_RETRY_BASE_SECONDS = 10
OUTBOX_RETRY_MAX_SECONDS = 3600
OUTBOX_MAX_ATTEMPTS = 15
# A claimed message is due again after this long if its worker died mid-call.
OUTBOX_LEASE_SECONDS = 300
OUTBOX_SWEEP_BATCH = 200

# --- Moderation ------------------------------------------------------------------------------
# Distinct users with an open flag on one piece of content before it is hidden until a moderator reviews it.
MODERATION_AUTO_HIDE_FLAGS = env.int("MODERATION_AUTO_HIDE_FLAGS", default=3)
