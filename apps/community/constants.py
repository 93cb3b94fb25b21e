POSTS_PER_PAGE = 20
THREADS_PER_PAGE = 25
SEARCH_RESULTS_PER_PAGE = 20
TITLE_MAX_LENGTH = 150
POST_MAX_LENGTH = 20_000
# Posts and edits a member may write: (count, window in seconds); new accounts (trust level NEW) fewer.
POST_RATE_NORMAL = (10, 60)
POST_RATE_NEW = (3, 60)
SEARCH_CONFIG = "english"
ATTACHMENTS_PER_POST = 4
ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
# How long a link to an attachment lives: enough to load the page's pictures, not to pass the link around.
ATTACHMENT_LINK_MINUTES = 10
