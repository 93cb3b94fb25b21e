"""Notification kinds of the shop (registered beside the code that sends them)."""

from apps.notifications.registry import notification_kind_register

ORDER_PAID = notification_kind_register("shop.order_paid", label="Shop order paid")
ORDER_SHIPPED = notification_kind_register("shop.order_shipped", label="Shop order shipped")
ORDER_REFUNDED = notification_kind_register("shop.order_refunded", label="Shop order refunded")
