from datetime import timedelta
from decimal import Decimal

# Per-minute rates (on demand and scheduled), USD.
RATE_MIN_AMOUNT = Decimal("0.50")
RATE_MAX_AMOUNT = Decimal("50.00")
# Price of one paid reply to a message, USD.
PAID_REPLY_MIN_AMOUNT = Decimal("0.50")
PAID_REPLY_MAX_AMOUNT = Decimal("100.00")
PAID_REPLY_DEFAULT_AMOUNT = Decimal("1.00")

# A reader whose dashboard sent no heartbeat for this long is offline, whatever their last status said.
PRESENCE_TIMEOUT = timedelta(minutes=2)
# The reader dashboard sends a heartbeat this often (static/js/reader-presence.js reads it from the page).
PRESENCE_HEARTBEAT_SECONDS = 30

DIRECTORY_PAGE_SIZE = 12
PHOTO_MAX_BYTES = 5 * 1024 * 1024
