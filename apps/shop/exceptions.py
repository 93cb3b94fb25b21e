"""Domain errors of the shop (see apps/core/exceptions.py for the statuses)."""

from apps.core.exceptions import DomainError, InvalidInputError, InvalidStateError, NotFound


class ProductNotFound(NotFound):
    default_message = "This product is not in the shop."


class OrderNotFound(NotFound):
    default_message = "This order does not exist."


class NotForSale(InvalidStateError):
    default_message = "This product is no longer for sale."


class OutOfStock(InvalidStateError):
    default_message = "There is not enough of this product in stock."


class InvalidQuantity(InvalidInputError):
    default_message = "Choose a quantity of at least 1."


class CartEmpty(InvalidStateError):
    default_message = "Your cart is empty."


class WalletNotAllowed(InvalidInputError):
    default_message = "Only a cart of digital items can be paid from the wallet; pay for physical items by card."


class OrderMismatch(DomainError):
    default_message = "The payment does not match the order it claims to pay for."


class InvalidRefund(InvalidInputError):
    default_message = "This refund is not possible."


class InvalidShipment(InvalidInputError):
    default_message = "Enter the carrier and the tracking number."
