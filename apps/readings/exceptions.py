"""Errors of the live readings services. Nothing is written when one of them is raised."""

from apps.core.exceptions import DomainError, InvalidStateError, NotFound


class SessionNotFound(NotFound):
    """Unknown reading, or one the user does not take part in (answered as 404)."""

    default_message = "This reading does not exist."


class SessionRefused(DomainError):
    """A reading cannot be requested: the message says why (funds, email, reader unavailable...)."""

    default_message = "This reading cannot be started."


class ClientAlreadyInReading(SessionRefused):
    """The client is in a reading, or waiting for one, already (one live reading per client)."""

    default_message = (
        "You already have a reading in progress or a request waiting for an answer. "
        "Finish or withdraw it before requesting another."
    )


class ReaderAlreadyInReading(SessionRefused):
    """The reader is in a reading already (one reading in progress per reader)."""

    default_message = "This reader is in another reading right now. Please try again later."
    accept_message = "You are already in a reading. End it before accepting another request."


class InvalidTransition(InvalidStateError):
    default_message = "The reading cannot do that in its current state."


class HoldNotSettled(DomainError):
    default_message = "The reading's hold account is not empty; it cannot be finalized."
