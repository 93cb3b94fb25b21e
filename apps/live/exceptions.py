from apps.core.exceptions import DomainError, InvalidInputError, InvalidStateError, NotFound, PermissionDeniedError


class StreamNotFound(NotFound):
    default_message = "This stream does not exist."


class GiftKindNotFound(NotFound):
    default_message = "This gift is not in the catalog."


class InviteNotFound(NotFound):
    default_message = "This invitation does not exist."


class ViewerNotFound(NotFound):
    default_message = "This person is not watching your stream."


class InvalidStream(InvalidInputError):
    default_message = "Some of the stream's details are not valid."


class InvalidGiftKind(InvalidInputError):
    default_message = "Some of the gift's details are not valid."


class StreamNotLive(InvalidStateError):
    default_message = "This stream is not live."


class StreamStateConflict(InvalidStateError):
    default_message = "That is not possible in the stream's current state."


class AlreadyLive(InvalidStateError):
    default_message = "You are already live in another stream. End it before going live again."


class RemovedFromStream(PermissionDeniedError):
    default_message = "The host removed you from this stream."


class NotForHost(DomainError):
    default_message = "That is for viewers; you are the host of this stream."


class TicketNotNeeded(InvalidStateError):
    default_message = "This stream has no tickets: it is not a premium stream."


class InvalidChatMessage(InvalidInputError):
    default_message = "Write a message before sending."
