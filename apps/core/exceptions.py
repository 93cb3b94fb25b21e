"""Domain errors raised by services. Views turn them into clear messages; nothing is written when one is raised."""


class DomainError(Exception):
    """Base class: a business rule refused the operation. ``message`` is safe to show to the user."""

    default_message = "This action could not be completed."

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        self.message = message or self.default_message
        self.code = code or self.__class__.__name__
        super().__init__(self.message)


class PermissionDeniedError(DomainError):
    default_message = "You are not allowed to do that."


class InvalidStateError(DomainError):
    default_message = "That is not possible in the current state."


class IntegrationNotConfigured(DomainError):
    default_message = "This feature is not configured on this server."


class RateLimitedError(DomainError):
    default_message = "Too many requests. Please wait a moment and try again."
