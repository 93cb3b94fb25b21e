from datetime import timedelta
from decimal import Decimal

# A premium stream's ticket price, USD.
TICKET_MIN_AMOUNT = Decimal("1.00")
TICKET_MAX_AMOUNT = Decimal("100.00")
# A gift's price in the catalog, USD.
GIFT_MIN_AMOUNT = Decimal("0.50")
GIFT_MAX_AMOUNT = Decimal("500.00")

# The host's page sends a heartbeat this often; a live stream whose host is silent this long ends.
HEARTBEAT_SECONDS = 10
HOST_SILENCE_LIMIT = timedelta(minutes=2)
# A viewer counts as watching while their page's heartbeats arrive; after this long they left.
VIEWER_PRESENCE_WINDOW = timedelta(seconds=30)

# Chat: at most this many lines per person per window (SPEC §12: 10 messages a minute).
CHAT_RATE_LIMIT = 10
CHAT_RATE_WINDOW_SECONDS = 60
CHAT_MAX_LENGTH = 500
CHAT_WINDOW = 50  # lines shown (and re-read on every poll, so hidden lines vanish)

TITLE_MAX_LENGTH = 120
DESCRIPTION_MAX_LENGTH = 1000
STREAMS_PAGE_SIZE = 20
TOP_GIFTERS = 5
EVENTS_PAGE = 50

# Ledger subject of a stream's gifts and tickets (Transaction.subject_type).
STREAM_SUBJECT = "livestream"
