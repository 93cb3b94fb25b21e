"""Domain errors raised by services and selectors. Nothing is written when one is raised.

Each class carries the HTTP status it answers with. A view catches a domain error only to show it beside a
form field; anything else reaches ``apps.core.errors.DomainErrorMiddleware``, which answers with an error page,
an HTMX partial or JSON ``{detail, code}`` (see ``docs/ARCHITECTURE.md``).
"""


class DomainError(Exception):
    """Base class: a business rule refused the operation. ``message`` is safe to show to the user."""

    default_message = "This action could not be completed."
    status_code = 400

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        self.message = message or self.default_message
        self.code = code or self.__class__.__name__
        super().__init__(self.message)


class NotFound(DomainError):
    """No such object for this viewer. Someone else's object is "not found" too: its existence never leaks."""

    default_message = "This page does not exist."
    status_code = 404


class InvalidInputError(DomainError):
    """The values given break a rule; nothing was written."""

    default_message = "Some of the values given are not valid."
    status_code = 400


class PermissionDeniedError(DomainError):
    """The viewer may see the object but not do this to it (use ``NotFound`` when they may not see it)."""

    default_message = "You are not allowed to do that."
    status_code = 403


class PaymentRequiredError(DomainError):
    """The wallet does not hold enough for this."""

    default_message = "There is not enough money in the wallet for this."
    status_code = 402


class InvalidStateError(DomainError):
    """The object is not in a state that allows this (or another request changed it first)."""

    default_message = "That is not possible in the current state."
    status_code = 409


class RateLimitedError(DomainError):
    default_message = "Too many requests. Please wait a moment and try again."
    status_code = 429


class IntegrationNotConfigured(DomainError):
    default_message = "This feature is not configured on this server."
    status_code = 503
