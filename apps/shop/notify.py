"""Notification kinds of the shop (registered beside the code that sends them)."""

from apps.notifications.registry import notification_kind_register

ORDER_PAID = notification_kind_register("shop.order_paid", label="Shop order paid")
ORDER_SHIPPED = notification_kind_register("shop.order_shipped", label="Shop order shipped")
ORDER_REFUNDED = notification_kind_register("shop.order_refunded", label="Shop order refunded")
# To the admins (an alert, like the wallet's): a card refund Stripe reports failed after it was made.
REFUND_RETURNED = notification_kind_register(
    "account.alert_shop_refund_returned", label="Alert: a shop order's card refund came back"
)
