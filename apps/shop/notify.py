"""Notification kinds of the shop (registered beside the code that sends them)."""

from apps.notifications.registry import notification_kind_register

ORDER_PAID = notification_kind_register("shop.order_paid", label="Shop order paid")
ORDER_SHIPPED = notification_kind_register("shop.order_shipped", label="Shop order shipped")
ORDER_REFUNDED = notification_kind_register("shop.order_refunded", label="Shop order refunded")
# To the buyer: a card refund of their order came back (the money did not reach the card).
REFUND_RETURNED_TO_BUYER = notification_kind_register(
    "shop.refund_returned", label="Shop refund returned by the card's bank"
)
# To the admins (an alert, like the wallet's): a card refund Stripe reports failed after it was made.
REFUND_RETURNED = notification_kind_register(
    "account.alert_shop_refund_returned", label="Alert: a shop order's card refund came back"
)
# To the admins: a refund of a shop order made in the Stripe Dashboard (booked, or not bookable and to look at).
DASHBOARD_REFUND = notification_kind_register(
    "account.alert_shop_dashboard_refund", label="Alert: a shop order was refunded in the Stripe Dashboard"
)
