"""Names shared by the shop's modules."""

# metadata.purpose of every Checkout Session and PaymentIntent the shop creates (apps/wallet/stripe_purposes.py).
PURPOSE = "shop_order"
# The ledger subject of an order's transactions (Transaction.subject_type).
ORDER_SUBJECT = "shop_order"
