from apps.core.exceptions import InvalidInputError, InvalidStateError, NotFound


class ExportInProgress(InvalidStateError):
    pass


class ExportNotAvailable(NotFound):
    pass


class DeletionBlocked(InvalidStateError):
    """Deletion must wait: ``reasons`` says why, one sentence each."""

    def __init__(self, reasons: list[str]):
        self.reasons = reasons
        super().__init__("Your account cannot be deleted yet: " + " ".join(reasons))


class WrongPassword(InvalidInputError):
    pass


class ConfirmationLinkInvalid(InvalidInputError):
    pass


class ConfirmationLinkExpired(InvalidStateError):
    """The emailed link is older than it may be: gone for good (410); the user asks for a new one."""

    status_code = 410


class NoDeletionRequest(NotFound):
    pass
