"""Settings of the Celery worker the fault test starts and kills: the test database, quick redelivery of
unacknowledged messages, and small billing batches so that a tick is many transactions long."""

import os

from config.settings.test import *  # noqa: F403
from config.settings.test import DATABASES

DATABASES["default"]["NAME"] = os.environ["LIVESESSIONS_FAULT_DB_NAME"]
DATABASES["default"]["TEST"] = {"NAME": os.environ["LIVESESSIONS_FAULT_DB_NAME"]}
# A message a killed worker held comes back to the queue after this many seconds (default: one hour), and a
# running worker looks for such messages every second (default: every 100 s), so the restarted worker picks it
# up as soon as it is due. The sweep's lock lapses quickly should a worker be killed while holding it.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
    "unacked_mutex_expire": 3,
}
LIVESESSIONS_TICK_BATCH_SIZE = 1
