from apps.core.exceptions import DomainError


class InvalidInputError(DomainError):
    """The values given to a service break a rule of the model; nothing was written."""

    default_message = "Some of the values given are not valid."
