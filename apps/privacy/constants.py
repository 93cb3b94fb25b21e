from datetime import timedelta

# Rate limits (settings.RATE_LIMITS) of asking for an export and for the deletion of an account.
EXPORT_RATE_SCOPE = "privacy.export"
DELETION_RATE_SCOPE = "privacy.deletion"

# Exports: how long a download link lives, how long the file is kept, and when an export that never finished (its
# outbox message gave up) counts as failed.
EXPORT_LINK_TTL = timedelta(hours=24)
EXPORT_KEEP = timedelta(days=7)
EXPORT_STALE_AFTER = timedelta(hours=24)
EXPORT_STORAGE = "default"  # the private storage: never served from a URL path
EXPORT_LINK_PURPOSE = "privacy.export"

# Deletion: the emailed confirmation link's lifetime and the grace period before anonymisation.
DELETION_CONFIRM_MAX_AGE = timedelta(hours=24)
DELETION_GRACE = timedelta(days=14)
DELETION_CONFIRM_SALT = "privacy.deletion-confirm"
# The session key that shows the "scheduled for deletion" banner (set at sign-in and on confirmation).
SESSION_DELETION_KEY = "privacy_deletion_scheduled_for"
