"""Errors of the wallet services. Nothing is written when one of them is raised."""

from apps.core.exceptions import DomainError, InvalidInputError, InvalidStateError, PaymentRequiredError


class InsufficientFunds(PaymentRequiredError):
    default_message = "There is not enough money in the wallet for this."


class IdempotencyConflict(InvalidStateError):
    default_message = "This request was already made with different details."


class UnbalancedTransaction(DomainError):
    default_message = "The postings of a transaction must sum to zero."


class AccountFrozen(InvalidStateError):
    default_message = "This wallet is frozen while a payment dispute is open."


class InvalidAmount(InvalidInputError):
    default_message = "Enter an amount in dollars and cents."


class HoldNotSettled(DomainError):
    """A hold does not hold what its subject says it should, so it cannot be settled or released."""

    default_message = "The hold account is not empty; it cannot be settled."
