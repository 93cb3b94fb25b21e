from apps.core.exceptions import DomainError, InvalidStateError, NotFound


class ReportTargetNotFound(NotFound):
    default_message = "That content does not exist."


class AlreadyReported(InvalidStateError):
    default_message = "You already reported this. A moderator will look at it."


class ReportAlreadyClosed(InvalidStateError):
    default_message = "This report was already handled by a moderator."


class ActionNotAvailable(DomainError):
    default_message = "That action is not available for this kind of content."
