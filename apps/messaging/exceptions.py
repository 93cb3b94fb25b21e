from apps.core.exceptions import DomainError, NotFound


class ConversationNotFound(NotFound):
    default_message = "That conversation does not exist."


class MessageNotFound(NotFound):
    default_message = "That message does not exist."


class RecipientUnavailable(DomainError):
    default_message = "This reader is not taking messages right now."


class NoColdMessages(DomainError):
    default_message = "Readers can only answer clients who wrote to them first."


class ConversationBlocked(DomainError):
    default_message = "This conversation is blocked."


class InvalidMessage(DomainError):
    default_message = "Write a message before sending."


class InvalidPrice(DomainError):
    default_message = "Enter a valid price for the paid reply."


class NotUnlockable(DomainError):
    default_message = "This reply cannot be unlocked."
