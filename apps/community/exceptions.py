from apps.core.exceptions import InvalidInputError, InvalidStateError, NotFound, PermissionDeniedError


class CategoryNotFound(NotFound):
    default_message = "That forum does not exist."


class ThreadNotFound(NotFound):
    default_message = "That thread does not exist."


class PostNotFound(NotFound):
    default_message = "That post does not exist."


class AttachmentNotFound(NotFound):
    default_message = "That file does not exist."


class InvalidPost(InvalidInputError):
    default_message = "Write something before posting."


class InvalidCategory(InvalidInputError):
    default_message = "Check the forum's name and settings."


class PostingNotAllowed(PermissionDeniedError):
    default_message = "Only readers may post in this forum."


class ThreadLocked(InvalidStateError):
    default_message = "This thread is locked: it takes no new replies or edits."


class InvalidUnsubscribeLink(InvalidInputError):
    default_message = "This unsubscribe link is not valid. Open the thread and unsubscribe there."
