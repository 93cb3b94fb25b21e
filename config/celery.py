"""Celery application and the beat schedule.

Without REDIS_URL the broker is Kombu's filesystem transport under ``var/celery`` so that
``make run`` needs no services; with REDIS_URL Redis is the broker.

Every task has an explicit, stable name (``<app>.<job>``), and the beat schedule keys on those names, so
moving a function to another module never orphans a periodic job (a test checks each entry names a
registered task).
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("soulseer")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Every periodic job, in one place. Each job is idempotent and safe on several workers at once.
app.conf.beat_schedule = {}

# Core: run outbox messages whose first dispatch was lost or whose retry is due (one backoff policy). Stripe
# event processing, refund submission and every email that must not be lost are outbox messages.
app.conf.beat_schedule["core-outbox-sweep"] = {
    "task": "core.outbox_sweep",
    "schedule": 10.0,
    "options": {"expires": 20},
}

# Wallet: prove the ledger's invariants every night (result on the admin ledger page).
app.conf.beat_schedule["wallet-ledger-check-nightly"] = {
    "task": "wallet.ledger_check",
    "schedule": crontab(hour=3, minute=17),
}

# Readers: anyone without a dashboard heartbeat for two minutes goes offline (one conditional UPDATE).
app.conf.beat_schedule["readers-presence-expire"] = {
    "task": "readers.presence_expire",
    "schedule": 30.0,
}

# Wallet: compare yesterday's and today's top-ups and refunds with Stripe (result on the admin dashboard).
app.conf.beat_schedule["wallet-reconcile-stripe-nightly"] = {
    "task": "wallet.reconcile_stripe",
    "schedule": crontab(hour=3, minute=41),
}

# Live readings: the billing tick (timeouts, presence, low balance, minutes due) every 5 s. Set-based,
# SKIP LOCKED and keyed per minute, so overlapping runs on several workers never bill a minute twice.
app.conf.beat_schedule["readings-bill-tick"] = {
    "task": "readings.bill_tick",
    "schedule": 5.0,
    "options": {"expires": 10},
}

# Scheduled readings: the day-before and 15-minute reminders of bookings (a conditional UPDATE claims each one,
# so overlapping runs on several workers send every reminder once).
app.conf.beat_schedule["scheduling-reminders-send"] = {
    "task": "scheduling.reminders_send",
    "schedule": 60.0,
    "options": {"expires": 50},
}

# Scheduled readings: no-shows 10 minutes after the start (refund or settle), bookings whose time ran out.
app.conf.beat_schedule["scheduling-no-show-sweep"] = {
    "task": "scheduling.no_show_sweep",
    "schedule": 60.0,
    "options": {"expires": 55},
}

# Livestreams: a live stream whose host sent no heartbeat for two minutes ends (SKIP LOCKED, re-checked per stream).
app.conf.beat_schedule["live-streams-timeout"] = {
    "task": "live.streams_timeout",
    "schedule": 30.0,
    "options": {"expires": 60},
}

# Shop: pending orders past their Checkout Session's expiry (plus grace) end and give their reserved stock back,
# when Stripe's checkout.session.expired did not do it first (each order re-checked under its lock).
app.conf.beat_schedule["shop-reservations-release"] = {
    "task": "shop.reservations_release",
    "schedule": 60.0,
    "options": {"expires": 55},
}

# Payouts: the weekly batch (Mondays 09:00 UTC, apps.payouts.constants). Idempotent per reader and ISO week, and
# each reader is taken with SKIP LOCKED, so overlapping runs on several workers pay nobody twice.
from apps.payouts.constants import BATCH_HOUR_UTC, BATCH_WEEKDAY  # noqa: E402  (plain constants, no Django)

app.conf.beat_schedule["payouts-batch-weekly"] = {
    "task": "payouts.batch_weekly",
    # crontab counts days from Sunday (0), datetime.weekday() from Monday (0).
    "schedule": crontab(hour=BATCH_HOUR_UTC, minute=0, day_of_week=(BATCH_WEEKDAY + 1) % 7),
}

# Privacy: anonymise the accounts whose deletion grace period is over (each locked and re-checked, so overlapping
# runs delete nobody twice), and delete the files of expired data exports.
app.conf.beat_schedule["privacy-deletions-run"] = {
    "task": "privacy.deletions_run",
    "schedule": crontab(minute=23),
}
app.conf.beat_schedule["privacy-exports-expire"] = {
    "task": "privacy.exports_expire",
    "schedule": crontab(minute=53),
}
