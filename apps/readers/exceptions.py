from apps.core.exceptions import DomainError, InvalidStateError


class ReaderProfileInvalid(DomainError):
    default_message = "Please correct the reader profile."


class ReaderProfileIncomplete(InvalidStateError):
    default_message = "Complete your profile before publishing it."


class ReaderNotFound(DomainError):
    default_message = "That reader does not exist."


class TaxonomyTermInvalid(DomainError):
    default_message = "Please correct the name."


class TaxonomyTermNotFound(DomainError):
    default_message = "That entry does not exist."
