from datetime import timedelta

# Exports: how many a user may ask for per day, how long a download link lives, how long the file is kept, and
# when an export that never finished (its outbox message gave up) counts as failed.
EXPORT_RATE_LIMIT = 3
EXPORT_RATE_WINDOW_SECONDS = 24 * 3600
EXPORT_LINK_TTL = timedelta(hours=24)
EXPORT_KEEP = timedelta(days=7)
EXPORT_STALE_AFTER = timedelta(hours=24)
EXPORT_STORAGE = "default"  # the private storage: never served from a URL path
EXPORT_LINK_PURPOSE = "privacy.export"

# Deletion: the emailed confirmation link's lifetime, the grace period before anonymisation, and how many
# confirmation emails a user may ask for per day.
DELETION_CONFIRM_MAX_AGE = timedelta(hours=24)
DELETION_GRACE = timedelta(days=14)
DELETION_RATE_LIMIT = 5
DELETION_RATE_WINDOW_SECONDS = 24 * 3600
DELETION_CONFIRM_SALT = "privacy.deletion-confirm"
# The session key that shows the "scheduled for deletion" banner (set at sign-in and on confirmation).
SESSION_DELETION_KEY = "privacy_deletion_scheduled_for"
