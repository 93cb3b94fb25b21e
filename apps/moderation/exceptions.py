from apps.core.exceptions import DomainError


class ReportTargetNotFound(DomainError):
    default_message = "That content does not exist."


class AlreadyReported(DomainError):
    default_message = "You already reported this. A moderator will look at it."


class ReportAlreadyClosed(DomainError):
    default_message = "This report was already handled by a moderator."


class ActionNotAvailable(DomainError):
    default_message = "That action is not available for this kind of content."
