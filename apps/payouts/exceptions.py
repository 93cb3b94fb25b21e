from apps.core.exceptions import InvalidInputError, InvalidStateError, NotFound


class ReaderNotFound(NotFound):
    default_message = "There is no such reader."


class PayoutNotFound(NotFound):
    default_message = "There is no such payout."


class ShareRateInvalid(InvalidInputError):
    default_message = "The reader share must be between 50% and 90%."


class PayoutsPaused(InvalidStateError):
    default_message = "Payouts are paused by the SoulSeer team for now. Your earnings are safe."


class PayoutsHeld(InvalidStateError):
    default_message = "Your payouts are on hold while the SoulSeer team reviews your account."


class PayoutAccountNotVerified(InvalidStateError):
    default_message = "Your payout account is not verified yet, so we cannot pay you."


class PayoutBelowMinimum(InvalidStateError):
    default_message = "There is not enough in your earnings for a payout yet."


class PayoutAlreadyPending(InvalidStateError):
    default_message = "A payout is already on its way to you; you can ask for the next one once it has arrived."


class ReasonRequired(InvalidInputError):
    default_message = "Say why; the reason is kept in the audit log."
