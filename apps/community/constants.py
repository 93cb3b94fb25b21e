POSTS_PER_PAGE = 20
THREADS_PER_PAGE = 25
SEARCH_RESULTS_PER_PAGE = 20
TITLE_MAX_LENGTH = 150
POST_MAX_LENGTH = 20_000
# Posts (threads and replies together) a member may write per window.
POST_RATE_LIMIT = 10
POST_RATE_WINDOW_SECONDS = 60
SEARCH_CONFIG = "english"
ATTACHMENTS_PER_POST = 4
ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
# How long a link to an attachment lives: enough to load the page's pictures, not to pass the link around.
ATTACHMENT_LINK_MINUTES = 10
