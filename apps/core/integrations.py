"""Which optional integrations are configured. A feature that needs one stays off without it."""

from django.conf import settings


def stripe_enabled() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def stripe_webhooks_enabled() -> bool:
    return bool(settings.STRIPE_SECRET_KEY and settings.STRIPE_WEBHOOK_SECRET)


def agora_enabled() -> bool:
    return bool(settings.AGORA_APP_ID and settings.AGORA_APP_CERTIFICATE)


def r2_enabled() -> bool:
    return bool(settings.R2_BUCKET and settings.R2_ENDPOINT_URL)


def sentry_enabled() -> bool:
    return bool(settings.SENTRY_DSN)


def smtp_enabled() -> bool:
    backend = settings.EMAIL_BACKEND
    return backend.endswith("smtp.EmailBackend") or "anymail" in backend


def integrations_status() -> dict[str, bool]:
    return {
        "stripe": stripe_enabled(),
        "stripe_webhooks": stripe_webhooks_enabled(),
        "agora": agora_enabled(),
        "r2": r2_enabled(),
        "sentry": sentry_enabled(),
        "smtp": smtp_enabled(),
    }
