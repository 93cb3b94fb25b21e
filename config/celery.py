"""Celery application and the beat schedule.

Without REDIS_URL the broker is Kombu's filesystem transport under ``var/celery`` so that
``make run`` needs no services; with REDIS_URL Redis is the broker.
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

# Core: run outbox messages whose first dispatch was lost or whose retry is due (one backoff policy).
app.conf.beat_schedule["core-outbox-sweep"] = {
    "task": "core.outbox_sweep",
    "schedule": 10.0,
    "options": {"expires": 20},
}

# Wallet: prove the ledger's invariants every night (result on the admin ledger page).
app.conf.beat_schedule["wallet-ledger-check-nightly"] = {
    "task": "apps.wallet.tasks.ledger_check_task",
    "schedule": crontab(hour=3, minute=17),
}

# Readers: anyone without a dashboard heartbeat for two minutes goes offline (one conditional UPDATE).
app.conf.beat_schedule["readers-presence-expire"] = {
    "task": "apps.readers.tasks.reader_presence_expire_task",
    "schedule": 30.0,
}

# Wallet: compare yesterday's and today's top-ups and refunds with Stripe (result on the admin dashboard).
app.conf.beat_schedule["wallet-reconcile-stripe-nightly"] = {
    "task": "apps.wallet.tasks.reconcile_stripe_task",
    "schedule": crontab(hour=3, minute=41),
}
# Wallet: re-send Stripe events and refunds whose task message was lost.
app.conf.beat_schedule["wallet-stripe-outbox-sweep"] = {
    "task": "apps.wallet.tasks.stripe_outbox_sweep_task",
    "schedule": 120.0,
}

# Live readings: the billing tick (timeouts, presence, low balance, minutes due) every 5 s. Set-based,
# SKIP LOCKED and keyed per minute, so overlapping runs on several workers never bill a minute twice.
app.conf.beat_schedule["livesessions-bill-tick"] = {
    "task": "apps.sessions.tasks.session_bill_tick_task",
    "schedule": 5.0,
    "options": {"expires": 10},
}
