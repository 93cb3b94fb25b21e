from apps.core.exceptions import InvalidInputError, InvalidStateError, NotFound


class ReaderProfileInvalid(InvalidInputError):
    default_message = "Please correct the reader profile."


class ReaderProfileIncomplete(InvalidStateError):
    default_message = "Complete your profile before publishing it."


class ReaderNotFound(NotFound):
    default_message = "That reader does not exist."


class TaxonomyTermInvalid(InvalidInputError):
    default_message = "Please correct the name."


class TaxonomyTermNotFound(NotFound):
    default_message = "That entry does not exist."
