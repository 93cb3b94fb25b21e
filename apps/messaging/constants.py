from datetime import timedelta

MESSAGE_MAX_LENGTH = 4000
SEND_RATE_LIMIT = 10
SEND_RATE_WINDOW_SECONDS = 60
# At most one email per conversation and recipient in this window; in-app notifications are not batched.
EMAIL_BATCH_WINDOW = timedelta(minutes=15)
MESSAGES_PER_PAGE = 30
CONVERSATIONS_PER_PAGE = 25
SEARCH_RESULTS_PER_PAGE = 20
SEARCH_QUERY_MIN_LENGTH = 2
POLL_SECONDS = 5
BADGE_POLL_SECONDS = 30
