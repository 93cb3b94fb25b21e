"""Errors of the live readings services. Nothing is written when one of them is raised."""

from apps.core.exceptions import DomainError, InvalidStateError


class SessionNotFound(DomainError):
    """Unknown reading, or one the user does not take part in (answered as 404)."""

    default_message = "This reading does not exist."


class SessionRefused(DomainError):
    """A reading cannot be requested: the message says why (funds, email, reader unavailable...)."""

    default_message = "This reading cannot be started."


class InvalidTransition(InvalidStateError):
    default_message = "The reading cannot do that in its current state."


class HoldNotSettled(DomainError):
    default_message = "The reading's hold account is not empty; it cannot be finalized."
