from apps.core.exceptions import DomainError, InvalidStateError, NotFound, PermissionDeniedError


class ReportTargetNotFound(NotFound):
    default_message = "That content does not exist."


class AlreadyReported(InvalidStateError):
    default_message = "You already reported this. A moderator will look at it."


class ReportAlreadyClosed(InvalidStateError):
    default_message = "This report was already handled by a moderator."


class ActionNotAvailable(DomainError):
    default_message = "That action is not available for this kind of content."


class UserSuspended(PermissionDeniedError):
    """The user's account is suspended: they may read, top up and see their wallet, but not write."""

    default_message = "Your account is suspended."


class NotAModerator(NotFound):
    """Someone who is not a moderator asked for a moderators' page or action: it does not exist for them."""
